"""Handles run.requested: claim the run, ack, export with a renewed lease, record the outcome."""

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.runner import claims
from services.runner.claims import ClaimedRun, RunOutcome
from services.runner.exporters.request import ExportFailed, ExportRequest
from services.runner.exporters.selector import Exporter
from services.runner.metrics import (
    BYTES_EXPORTED,
    ROWS_EXPORTED,
    RUN_DURATION,
    RUNS_FINISHED,
    RUNS_STARTED,
)
from services.runner.settings import RunnerSettings
from shared.events import Event, RunRequested
from shared.messaging import Broker, PermanentFailure
from shared.models import RunStatus
from shared.outbox import OutboxRelay

log = logging.getLogger(__name__)
FINISH_RETRY_SECONDS = 2.0


class RunWorker:
    """Runs at most `runner_concurrency` reports at once.

    The delivery is acked as soon as the run is claimed, so an export of any length never
    holds a message unacked; from then on the run row and its lease carry the work.
    """

    def __init__(
        self,
        settings: RunnerSettings,
        sessions: async_sessionmaker[AsyncSession],
        broker: Broker,
        relay: OutboxRelay,
        exporter: Exporter,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._broker = broker
        self._relay = relay
        self._exporter = exporter
        self._slots = asyncio.Semaphore(settings.runner_concurrency)
        self._in_flight: dict[uuid.UUID, asyncio.Task[None]] = {}

    async def handle(self, event: Event) -> None:
        """Idempotent: the conditional QUEUED → RUNNING claim lets one delivery run a run."""
        if not isinstance(event, RunRequested):
            raise PermanentFailure(f"runner got an unexpected {event.routing_key} event")
        try:
            await asyncio.wait_for(self._slots.acquire(), self._settings.slot_wait_seconds)
        except TimeoutError:
            log.info("no free slot; handing the request back", extra={"run_id": event.run_id})
            await self._broker.publish(event)
            return
        try:
            claimed = await self._claim(event.run_id)
        except BaseException:
            self._slots.release()
            raise
        if claimed is None:
            self._slots.release()
            log.info("run is not QUEUED any more; skipping", extra={"run_id": event.run_id})
            return
        task = asyncio.create_task(self._execute(claimed))
        self._in_flight[claimed.run_id] = task
        task.add_done_callback(lambda _: self._done(claimed.run_id))

    def _done(self, run_id: uuid.UUID) -> None:
        self._in_flight.pop(run_id, None)
        self._slots.release()

    async def _claim(self, run_id: uuid.UUID) -> ClaimedRun | None:
        async with self._sessions.begin() as session:
            return await claims.claim_run(
                session, run_id, self._settings.worker_id, self._settings.lease_seconds
            )

    async def _execute(self, run: ClaimedRun) -> None:
        context = {"run_id": run.run_id, "report_id": run.report_id}
        log.info("run started (attempt %d)", run.attempt, extra=context)
        RUNS_STARTED.inc()
        heartbeat = asyncio.create_task(self._renew_lease(run.run_id))
        try:
            result = await self._exporter.export(
                ExportRequest(
                    str(run.run_id),
                    run.report_name,
                    run.sql_query,
                    run.started_at,
                    run.output_format,
                    run.compression,
                )
            )
            outcome = RunOutcome(
                RunStatus.SUCCESS,
                result.row_count,
                result.byte_size,
                str(result.path),
                sha256=result.sha256,
                notes=result.notes,
            )
        except ExportFailed as error:
            outcome = RunOutcome(RunStatus.FAILED, error_message=str(error))
        except asyncio.CancelledError:
            heartbeat.cancel()
            await self._hand_back(run)
            raise
        except Exception as error:
            log.exception("run crashed", extra=context)
            outcome = RunOutcome(RunStatus.FAILED, error_message=f"internal error: {error!r}")
        finally:
            heartbeat.cancel()
        await self._finish(run, outcome)

    async def _renew_lease(self, run_id: uuid.UUID) -> None:
        interval = self._settings.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with self._sessions.begin() as session:
                    owned = await claims.renew_lease(
                        session, run_id, self._settings.worker_id, self._settings.lease_seconds
                    )
            except Exception:
                log.exception("could not renew the lease; retrying", extra={"run_id": run_id})
                continue
            if not owned:
                log.warning("lease lost; another runner took the run", extra={"run_id": run_id})
                return

    async def _finish(self, run: ClaimedRun, outcome: RunOutcome) -> None:
        """Retries while the database is unreachable; past the lease the run is recovered."""
        context = {"run_id": run.run_id, "report_id": run.report_id}
        for _ in range(max(1, int(self._settings.lease_seconds / FINISH_RETRY_SECONDS))):
            try:
                async with self._sessions.begin() as session:
                    recorded = await claims.finish_run(
                        session, run.run_id, self._settings.worker_id, outcome
                    )
                break
            except Exception:
                log.exception("could not record the outcome; retrying", extra=context)
                await asyncio.sleep(FINISH_RETRY_SECONDS)
        else:
            recorded = False
        if not recorded:
            log.warning("outcome not recorded: the run is no longer ours", extra=context)
            if outcome.output_path:
                await asyncio.to_thread(_remove, outcome.output_path)
            return
        self._relay.wake()
        _count_finished(run, outcome)
        log.info(
            "run finished: %s rows=%s bytes=%s%s",
            outcome.status,
            outcome.row_count,
            outcome.byte_size,
            f" error={outcome.error_message}" if outcome.error_message else "",
            extra=context,
        )

    async def _hand_back(self, run: ClaimedRun) -> None:
        try:
            async with self._sessions.begin() as session:
                await claims.hand_back(session, run.run_id, self._settings.worker_id)
            log.info("run handed back to the queue", extra={"run_id": run.run_id})
        except Exception:
            log.exception("could not hand the run back; its lease will expire")

    async def drain(self, grace_seconds: float) -> None:
        """Waits for in-flight runs; those still running after the grace period are handed back."""
        tasks = list(self._in_flight.values())
        if not tasks:
            return
        log.info("waiting up to %.0fs for %d run(s) in flight", grace_seconds, len(tasks))
        _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _count_finished(run: ClaimedRun, outcome: RunOutcome) -> None:
    RUNS_FINISHED.labels(outcome.status.value).inc()
    RUN_DURATION.observe((datetime.now(UTC) - run.started_at).total_seconds())
    ROWS_EXPORTED.inc(outcome.row_count or 0)
    BYTES_EXPORTED.inc(outcome.byte_size or 0)


def _remove(path: str) -> None:
    Path(path).unlink(missing_ok=True)
