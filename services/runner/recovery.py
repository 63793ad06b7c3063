"""Periodic recovery: runs whose runner died, and queued runs whose request was lost."""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.runner import lease_recovery
from services.runner.exporters.output_file import remove_leftovers
from services.runner.settings import RunnerSettings
from shared.lifecycle import wait_for_stop
from shared.outbox import OutboxRelay

log = logging.getLogger(__name__)


async def recover_once(
    sessions: async_sessionmaker[AsyncSession], settings: RunnerSettings
) -> tuple[int, int, int]:
    """(requeued after an expired lease, failed after max attempts, re-requested: stale or due
    after a retry delay or an overlap wait)."""
    async with sessions.begin() as session:
        recovered = await lease_recovery.recover_expired_leases(session, settings.max_attempts)
        # The dead attempts' `.part` files, and files they published but never recorded: removed
        # while the rows are still locked, so no new attempt of these runs has begun its own.
        for run_id in recovered.run_ids:
            await asyncio.to_thread(remove_leftovers, settings.output_dir, str(run_id), None)
        rerequested = await lease_recovery.rerequest_stale_queued(
            session, settings.rerequest_after_seconds
        )
        rerequested += await lease_recovery.request_due_runs(session)
    return recovered.requeued, recovered.failed, rerequested


async def run_recovery(
    sessions: async_sessionmaker[AsyncSession],
    settings: RunnerSettings,
    relay: OutboxRelay,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        try:
            requeued, failed, rerequested = await recover_once(sessions, settings)
        except Exception:
            log.exception("recovery pass failed; retrying")
        else:
            if requeued or failed or rerequested:
                log.warning(
                    "recovered runs: %d requeued after an expired lease, %d failed after %d "
                    "attempts, %d re-requested",
                    requeued,
                    failed,
                    settings.max_attempts,
                    rerequested,
                )
                relay.wake()
        await wait_for_stop(stop, settings.recovery_interval_seconds)
