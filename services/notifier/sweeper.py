"""Periodic sweep: claims whose notifier died mid-send, and retries whose message was lost."""

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import notification_log as records
from services.notifier.settings import NotifierSettings
from shared.events import NotificationDeferred
from shared.messaging import Broker

log = logging.getLogger(__name__)


async def sweep_once(
    sessions: async_sessionmaker[AsyncSession], broker: Broker, settings: NotifierSettings
) -> tuple[int, int]:
    """(claims given up as outcome unknown, overdue notifications published again)."""
    async with sessions.begin() as session:
        unknown = await records.fail_stale_claims(session, settings.notifier_claim_timeout_seconds)
        overdue = await records.take_overdue(session, settings.notifier_overdue_seconds)
    for due in overdue:
        # A duplicate of a retry that was only late is harmless: the claim is conditional.
        await broker.publish(
            NotificationDeferred(run_id=due.run_id, recipient=due.recipient, attempt=due.attempts)
        )
    return unknown, len(overdue)


async def run_sweeper(
    sessions: async_sessionmaker[AsyncSession],
    broker: Broker,
    settings: NotifierSettings,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        try:
            unknown, overdue = await sweep_once(sessions, broker, settings)
        except Exception:
            log.exception("notification sweep failed; retrying")
        else:
            if unknown or overdue:
                log.warning(
                    "swept notifications: %d with an unknown outcome failed, %d overdue resent",
                    unknown,
                    overdue,
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.notifier_sweep_interval_seconds)
