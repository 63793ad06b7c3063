"""Handles run.requested: claim the run, ack, export with a renewed lease, record the outcome."""

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.runner import claims
from services.runner.admission import hand_back_reason
from services.runner.claim_records import (
    CANCELLED,
    Claim,
    ClaimedRun,
    FinishResult,
    NotClaimed,
    Renewal,
    RunOutcome,
)
from services.runner.empty_result import apply_empty_result
from services.runner.exporters.output_file import remove_leftovers, remove_published
from services.runner.exporters.request import ExportFailed, ExportProgress, ExportRequest
from services.runner.exporters.selector import Exporter
from services.runner.metrics import (
    BYTES_EXPORTED,
    ROWS_EXPORTED,
    RUN_DURATION,
    RUNS_FINISHED,
    RUNS_STARTED,
)
from services.runner.retry_policy import retry_delay_seconds, should_retry
from services.runner.settings import RunnerSettings
from shared.event_publisher import EventPublisher
from shared.events import Event, RunRequested
from shared.messaging import PermanentFailure
from shared.models import RunStatus
from shared.outbox import OutboxRelay

log = logging.getLogger(__name__)
FINISH_RETRY_SECONDS = 2.0
# How long a delivery waits for a slot before the run's status is read (see _take_slot).
STALE_CHECK_SECONDS = 0.25


class RunWorker:
    """Runs at most `runner_concurrency` reports at once.

    The delivery is acked as soon as the run is claimed, so an export of any length never
    holds a message unacked; from then on the run row and its lease carry the work.
    """

    def __init__(
        self,
        settings: RunnerSettings,
        sessions: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        relay: OutboxRelay,
        exporter: Exporter,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._publisher = publisher
        self._relay = relay
        self._exporter = exporter
        self._slots = asyncio.Semaphore(settings.runner_concurrency)
        self._in_flight: dict[Claim, asyncio.Task[None]] = {}
        self._stopping = False

    async def handle(self, event: Event) -> None:
        """Idempotent: the conditional QUEUED → RUNNING claim lets one delivery run a run."""
        if not isinstance(event, RunRequested):
            raise PermanentFailure(f"runner got an unexpected {event.routing_key} event")
        context = {"run_id": event.run_id}
        got_slot = await self._take_slot(event.run_id)
        if got_slot is None:
            log.info("run is not QUEUED any more; skipping", extra=context)
            return
        reason = hand_back_reason(got_slot, self._stopping)
        if reason is not None:
            if got_slot:
                self._slots.release()
            log.info("%s; handing the request back", reason, extra=context)
            await self._publisher.publish(event)
            return
        try:
            claimed = await self._claim(event.run_id)
        except BaseException:
            self._slots.release()
            raise
        if isinstance(claimed, NotClaimed):
            self._slots.release()
            if claimed == NotClaimed.SKIPPED:
                self._relay.wake()
            log.info("run not claimed (%s); skipping", claimed.value, extra=context)
            return
        task = asyncio.create_task(self._execute(claimed))
        self._in_flight[claimed.claim] = task
        task.add_done_callback(lambda _: self._done(claimed.claim))

    def _done(self, claim: Claim) -> None:
        self._in_flight.pop(claim, None)
        self._slots.release()

    async def _take_slot(self, run_id: uuid.UUID) -> bool | None:
        """True once a slot is taken, False if none freed within slot_wait_seconds, None if
        the run is not QUEUED any more.

        The run's status is read only when no slot frees within STALE_CHECK_SECONDS: with a
        slot, the conditional claim tells a stale redelivery anyway, and a trivial run saves a
        transaction; without one, a stale redelivery is dropped then instead of holding its
        delivery for up to slot_wait_seconds.
        """
        first_wait = min(STALE_CHECK_SECONDS, self._settings.slot_wait_seconds)
        if await self._acquire_slot(first_wait):
            return True
        if await self._status(run_id) != RunStatus.QUEUED:
            return None
        return await self._acquire_slot(self._settings.slot_wait_seconds - first_wait)

    async def _acquire_slot(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._slots.acquire(), seconds)
        except TimeoutError:
            return False
        return True

    async def _status(self, run_id: uuid.UUID) -> RunStatus | None:
        async with self._sessions.begin() as session:
            return await claims.run_status(session, run_id)

    async def _claim(self, run_id: uuid.UUID) -> ClaimedRun | NotClaimed:
        async with self._sessions.begin() as session:
            return await claims.claim_run(
                session,
                run_id,
                self._settings.worker_id,
                self._settings.lease_seconds,
                self._settings.overlap_wait_seconds,
            )

    async def _execute(self, run: ClaimedRun) -> None:
        """Exports while the lease is renewed; a lost lease abandons the export at once, and a
        cancel request stops it and records the run CANCELLED."""
        context = {"run_id": run.run_id, "report_id": run.report_id}
        log.info("run started (attempt %d)", run.attempt, extra=context)
        RUNS_STARTED.inc()
        progress = ExportProgress()
        heartbeat = asyncio.create_task(self._renew_lease(run.claim, progress))
        export = asyncio.create_task(self._export(run, progress))
        try:
            await asyncio.wait({export, heartbeat}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await _cancel(export)
            heartbeat.cancel()
            await self._hand_back(run)
            raise
        if not export.done():
            await _cancel(export)
            if heartbeat.result() == Renewal.CANCEL_REQUESTED:
                log.info("cancel requested; export stopped", extra=context)
                await self._finish(run, CANCELLED)
                return
            log.warning("lease lost; export abandoned to the runner that took over", extra=context)
            return
        try:
            outcome = export.result()
            if not await self._retried(run, outcome):
                await self._finish(run, outcome)
        finally:
            heartbeat.cancel()

    async def _retried(self, run: ClaimedRun, outcome: RunOutcome) -> bool:
        """A transient failure with retries left goes back to the queue, delayed; a cancel
        asked meanwhile turns it into CANCELLED instead."""
        if not should_retry(outcome.transient, run.retries, run.max_retries):
            return False
        delay = retry_delay_seconds(run.retry_delay_seconds, run.retries)
        context = {"run_id": run.run_id, "report_id": run.report_id}
        try:
            async with self._sessions.begin() as session:
                retried = await claims.retry_later(session, run.claim, outcome.error_message, delay)
        except Exception:
            log.exception("could not queue the retry; recording the failure", extra=context)
            return False
        if not retried:
            await self._finish(run, CANCELLED)
            return True
        log.warning(
            "transient failure on attempt %d; retry %d of %d in %.0fs: %s",
            run.attempt,
            run.retries + 1,
            run.max_retries,
            delay,
            outcome.error_message,
            extra=context,
        )
        await asyncio.to_thread(remove_leftovers, self._settings.output_dir, str(run.run_id), None)
        return True

    async def _export(self, run: ClaimedRun, progress: ExportProgress) -> RunOutcome:
        if run.refusal is not None:
            log.warning("%s", run.refusal, extra={"run_id": run.run_id})
            return RunOutcome(RunStatus.FAILED, error_message=run.refusal)
        request = ExportRequest(
            str(run.run_id),
            run.report_name,
            run.sql_query,
            run.started_at,
            run.output_format,
            run.compression,
            run.csv_formula_guard,
            run.parameter_settings,
            # Capped again here: MAX_STATEMENT_TIMEOUT_SECONDS may have been lowered since.
            self._settings.run_timeout(run.timeout_seconds),
            progress,
            run.keep_rows,
            run.file_name_template,
            run.template_facts,
        )
        try:
            result = await self._exporter.export(request)
        except ExportFailed as error:
            return RunOutcome(RunStatus.FAILED, error_message=str(error), transient=error.transient)
        except Exception as error:
            log.exception("run crashed", extra={"run_id": run.run_id})
            return RunOutcome(RunStatus.FAILED, error_message=f"internal error: {error!r}")
        outcome = apply_empty_result(
            RunOutcome(
                RunStatus.SUCCESS,
                result.row_count,
                result.byte_size,
                str(result.path),
                sha256=result.sha256,
                notes=result.notes,
                first_rows=result.first_rows,
            ),
            run.empty_result,
        )
        if outcome.output_path is None:
            await asyncio.to_thread(
                remove_published, self._settings.output_dir, str(run.run_id), result.path
            )
        return outcome

    async def _renew_lease(self, claim: Claim, progress: ExportProgress) -> Renewal:
        """Renews the lease and records the progress every tick; returns only when the claim
        is no longer current or a cancel was asked."""
        interval = min(self._settings.lease_seconds / 3, self._settings.progress_interval_seconds)
        while True:
            await asyncio.sleep(interval)
            try:
                async with self._sessions.begin() as session:
                    renewal = await claims.renew_lease(
                        session,
                        claim,
                        self._settings.lease_seconds,
                        progress.rows,
                        progress.bytes,
                    )
            except Exception:
                log.exception("could not renew the lease; retrying", extra={"run_id": claim.run_id})
                continue
            if renewal == Renewal.LOST:
                log.warning(
                    "lease lost; another runner took the run", extra={"run_id": claim.run_id}
                )
            if renewal != Renewal.CURRENT:
                return renewal

    async def _finish(self, run: ClaimedRun, outcome: RunOutcome) -> None:
        """Retries while the database is unreachable (the lease is still renewed meanwhile)."""
        context = {"run_id": run.run_id, "report_id": run.report_id}
        result: FinishResult | None = None
        for _ in range(max(1, int(self._settings.lease_seconds / FINISH_RETRY_SECONDS))):
            try:
                async with self._sessions.begin() as session:
                    result = await claims.finish_run(session, run.claim, outcome)
                break
            except Exception:
                log.exception("could not record the outcome; retrying", extra=context)
                await asyncio.sleep(FINISH_RETRY_SECONDS)
        if result is None:
            log.error(
                "could not record the outcome; the run will be recovered (file kept: %s)",
                outcome.output_path,
                extra=context,
            )
            return
        if result == FinishResult.TAKEN_OVER:
            log.warning("outcome not recorded: the run is no longer ours", extra=context)
            if outcome.output_path:
                await asyncio.to_thread(
                    remove_published,
                    self._settings.output_dir,
                    str(run.run_id),
                    Path(outcome.output_path),
                )
            return
        self._relay.wake()
        output = Path(outcome.output_path) if outcome.output_path else None
        await asyncio.to_thread(
            remove_leftovers, self._settings.output_dir, str(run.run_id), output
        )
        if result == FinishResult.RECORDED:
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
                await claims.hand_back(session, run.claim)
            log.info("run handed back to the queue", extra={"run_id": run.run_id})
        except Exception:
            log.exception("could not hand the run back; its lease will expire")

    async def drain(self, grace_seconds: float) -> None:
        """Claims nothing more; waits for runs in flight, handing back those past the grace."""
        self._stopping = True
        deadline = asyncio.get_running_loop().time() + grace_seconds
        while self._in_flight:
            tasks = list(self._in_flight.values())
            remaining = deadline - asyncio.get_running_loop().time()
            log.info("waiting up to %.0fs for %d run(s) in flight", max(remaining, 0), len(tasks))
            _, pending = await asyncio.wait(tasks, timeout=max(remaining, 0))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


async def _cancel(task: asyncio.Task[RunOutcome]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _count_finished(run: ClaimedRun, outcome: RunOutcome) -> None:
    RUNS_FINISHED.labels(outcome.status.value).inc()
    RUN_DURATION.observe((datetime.now(UTC) - run.started_at).total_seconds())
    ROWS_EXPORTED.inc(outcome.row_count or 0)
    BYTES_EXPORTED.inc(outcome.byte_size or 0)
