"""Periodic sweep: claims whose notifier died mid-send, retries and run.completed events lost."""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import notification_log as records
from services.notifier.delivery import Notifier
from services.notifier.missed_runs import find_missed_runs
from services.notifier.settings import NotifierSettings
from shared.events import NotificationDeferred
from shared.lifecycle import wait_for_stop
from shared.messaging import Broker

log = logging.getLogger(__name__)
# Missed runs handled per sweep, so one pass stays short even after a long outage.
MISSED_RUNS_PER_SWEEP = 20


async def sweep_once(
    sessions: async_sessionmaker[AsyncSession], broker: Broker, settings: NotifierSettings
) -> tuple[int, int]:
    """(claims given up as outcome unknown, overdue notifications published again)."""
    async with sessions.begin() as session:
        timeout = settings.notifier_claim_timeout_seconds
        await records.release_stale_webhook_claims(session, timeout)
        unknown = await records.fail_stale_claims(session, timeout)
        overdue = await records.take_overdue(session, settings.notifier_overdue_seconds)
    for due in overdue:
        # A duplicate of a retry that was only late is harmless: the claim is conditional.
        key = due.key
        await broker.publish(
            NotificationDeferred(
                run_id=key.run_id,
                recipient=key.recipient,
                attempt=due.attempts,
                channel=key.channel,
                resend_id=key.resend_id,
            )
        )
    return unknown, len(overdue)


async def recover_missed_runs(
    sessions: async_sessionmaker[AsyncSession],
    notifier: Notifier,
    settings: NotifierSettings,
    stop: asyncio.Event,
) -> int:
    """Handles finished runs whose run.completed never arrived exactly as if it just had.

    Idempotent through the same unique keys and claims: a late delivery of the real event, or
    a second notifier's sweep, finds the rows written and the mails claimed.
    """
    async with sessions.begin() as session:
        missed = await find_missed_runs(
            session,
            settings.notifier_missed_after_seconds,
            settings.notifier_missed_lookback_hours,
            MISSED_RUNS_PER_SWEEP,
        )
    recovered = 0
    for run_id in missed:
        if stop.is_set():
            break
        context = {"run_id": run_id}
        log.warning("run.completed never arrived; notifying now", extra=context)
        try:
            await notifier.notify_finished_run(run_id)
        except Exception:
            log.exception("could not notify a missed run; a later sweep finishes it", extra=context)
        else:
            recovered += 1
    return recovered


async def run_sweeper(
    sessions: async_sessionmaker[AsyncSession],
    broker: Broker,
    notifier: Notifier,
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
        try:
            await recover_missed_runs(sessions, notifier, settings, stop)
        except Exception:
            log.exception("missed-run sweep failed; retrying")
        await wait_for_stop(stop, settings.notifier_sweep_interval_seconds)
