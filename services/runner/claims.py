"""The runner's state changes on report_runs: claim, renew, finish, retry, hand back (lease
recovery, built on these, is in lease_recovery.py).

Each one is a conditional UPDATE, so a redelivered or duplicated message cannot run a report
twice, and a runner that lost its lease cannot overwrite the outcome of the one that took over:
every change after the claim is fenced on the claim itself (run, worker and attempt). Each
attempt is listed in the run's `attempts` (opened at the claim, closed with its error).
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.runner.attempt_log import closed_attempts, opened_attempt
from services.runner.claim_records import (
    CANCELLED,
    Claim,
    ClaimedRun,
    FinishResult,
    NotClaimed,
    Renewal,
    RunOutcome,
    announcing,
    due,
    rows_to_keep,
)
from services.runner.overlap import overlap_verdict, report_claims_lock
from services.runner.owner_check import owner_refusal
from services.runner.run_parameters import ParameterRefusal, run_parameters
from shared.message_templates.variables import RunFacts
from shared.models import (
    FINISHED_STATUSES,
    Overlap,
    Report,
    ReportRun,
    RunStatus,
    RunTrigger,
    User,
)
from shared.outbox import add_event
from shared.report_parameters.resolution import ResolvedRun
from shared.run_queue import request_runs

# What a claim reads of the run's report and its owner (owner_check) for the export.
REPORT_AT_CLAIM = (
    Report.overlap,
    Report.name,
    Report.sql_query,
    Report.output_format,
    Report.compression,
    Report.csv_formula_guard,
    Report.parameters,
    Report.timezone,
    Report.empty_result,
    Report.timeout_seconds,
    Report.max_retries,
    Report.retry_delay_seconds,
    Report.inline_rows,
    Report.deliver_if,
    Report.description,
    Report.file_name_template,
    User.email.label("owner_email"),
    User.role.label("owner_role"),
    User.is_active.label("owner_active"),
)


def _lease_until(lease_seconds: float) -> ColumnElement[datetime]:
    return func.now() + timedelta(seconds=lease_seconds)


async def claim_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    worker_id: str,
    lease_seconds: float,
    overlap_wait_seconds: float = 5.0,
) -> ClaimedRun | NotClaimed:
    """QUEUED → RUNNING for this worker, unless the run is not due or its report's overlap rule
    says a scheduled run waits for (`queue`) or gives way to (`skip`) a run still RUNNING."""
    # One statement reads the run's report and its owner and takes the report's claim lock:
    # the overlap check below and the claim run under it.
    candidate = (
        await session.execute(
            select(
                ReportRun.report_id,
                ReportRun.trigger,
                *REPORT_AT_CLAIM,
                report_claims_lock(ReportRun.report_id).label("locked"),
            )
            .join(Report, Report.id == ReportRun.report_id)
            .outerjoin(User, User.id == Report.owner_id)
            .where(ReportRun.id == run_id, due())
        )
    ).one_or_none()
    if candidate is None:
        return NotClaimed.NOT_DUE
    if candidate.trigger == RunTrigger.SCHEDULE and candidate.overlap != Overlap.ALLOW:
        verdict = await overlap_verdict(
            session, run_id, candidate.report_id, candidate.overlap, overlap_wait_seconds
        )
        if verdict is not None:
            return verdict
    run = (
        await session.execute(
            update(ReportRun)
            .where(ReportRun.id == run_id, due())
            .values(
                status=RunStatus.RUNNING,
                started_at=func.now(),
                attempt=ReportRun.attempt + 1,
                worker_id=worker_id,
                lease_expires_at=_lease_until(lease_seconds),
                not_before=None,
                rows_exported=0,
                bytes_written=0,
                attempts=ReportRun.attempts.op("||")(opened_attempt()),
            )
            .returning(
                ReportRun.report_id,
                ReportRun.started_at,
                ReportRun.attempt,
                ReportRun.retries,
                ReportRun.scheduled_for,
                ReportRun.queued_at,
                ReportRun.requested_parameters,
            )
        )
    ).one_or_none()
    if run is None:
        return NotClaimed.NOT_DUE
    return await _claimed(session, run_id, worker_id, run, candidate)


async def _claimed(
    session: AsyncSession,
    run_id: uuid.UUID,
    worker_id: str,
    run: Row[
        uuid.UUID, datetime | None, int, int, datetime | None, datetime, dict[str, Any] | None
    ],
    report: Row[*tuple[Any, ...]],
) -> ClaimedRun:
    """The claimed run with what the export needs of its report, read at the claim."""
    refusal = owner_refusal(report.owner_email, report.owner_role, report.owner_active)
    resolved = run_parameters(
        report.sql_query,
        report.parameters,
        run.requested_parameters,
        run.scheduled_for,
        run.queued_at,
        report.timezone,
    )
    if isinstance(resolved, ParameterRefusal):
        refusal = refusal or resolved.reason
        resolved = ResolvedRun(report.sql_query, {}, [])
    elif resolved.values:  # a report without parameters or macros saves the round trip
        # In the claim's transaction: each claim records exactly the values it runs with.
        await session.execute(
            update(ReportRun).where(ReportRun.id == run_id).values(parameters=resolved.values)
        )
    return ClaimedRun(
        run_id,
        run.report_id,
        report.name,
        resolved.sql,
        run.started_at,
        run.attempt,
        report.output_format,
        report.compression,
        worker_id,
        csv_formula_guard=report.csv_formula_guard,
        parameter_settings=tuple(resolved.settings),
        empty_result=report.empty_result,
        timeout_seconds=report.timeout_seconds,
        max_retries=report.max_retries,
        retry_delay_seconds=report.retry_delay_seconds,
        retries=run.retries,
        keep_rows=rows_to_keep(report.inline_rows, report.deliver_if),
        refusal=refusal,
        file_name_template=report.file_name_template,
        template_facts=RunFacts(
            report.name,
            report.description,
            report.timezone,
            str(RunStatus.SUCCESS),  # a file is named only when the export succeeded
            run_time=run.scheduled_for or run.queued_at,
            scheduled_for=run.scheduled_for,
            parameters=resolved.values,
        ),
    )


async def renew_lease(
    session: AsyncSession,
    claim: Claim,
    lease_seconds: float,
    rows_exported: int | None = None,
    bytes_written: int | None = None,
) -> Renewal:
    """Renews the lease and records the progress so far; says whether a cancel was asked."""
    progress = {}
    if rows_exported is not None:
        progress["rows_exported"] = rows_exported
    if bytes_written is not None:
        progress["bytes_written"] = bytes_written
    cancel_requested_at = (
        await session.execute(
            update(ReportRun)
            .where(current(claim))
            .values(lease_expires_at=_lease_until(lease_seconds), **progress)
            .returning(ReportRun.cancel_requested_at)
        )
    ).one_or_none()
    if cancel_requested_at is None:
        return Renewal.LOST
    return Renewal.CURRENT if cancel_requested_at[0] is None else Renewal.CANCEL_REQUESTED


def current(claim: Claim) -> ColumnElement[bool]:
    return (
        (ReportRun.id == claim.run_id)
        & (ReportRun.status == RunStatus.RUNNING)
        & (ReportRun.worker_id == claim.worker_id)
        & (ReportRun.attempt == claim.attempt)
    )


async def finish_run(session: AsyncSession, claim: Claim, outcome: RunOutcome) -> FinishResult:
    """Records the outcome and its run.completed event, if the claim is still current."""
    report_id = (
        await session.scalars(
            update(ReportRun)
            .where(current(claim))
            .values(
                status=outcome.status,
                finished_at=func.now(),
                row_count=outcome.row_count,
                byte_size=outcome.byte_size,
                output_path=outcome.output_path,
                error_message=outcome.error_message,
                sha256=outcome.sha256,
                notes=outcome.notes,
                first_rows=outcome.first_rows,
                lease_expires_at=None,
                rows_exported=outcome.row_count,
                bytes_written=outcome.byte_size,
                attempts=closed_attempts(
                    None if outcome.status == RunStatus.SUCCESS else outcome.error_message
                ),
            )
            .returning(ReportRun.report_id)
        )
    ).one_or_none()
    if report_id is not None:
        add_event(session, announcing(claim.run_id, report_id, outcome))
        return FinishResult.RECORDED
    recorded_by_claim = await session.scalar(
        select(ReportRun.id).where(
            ReportRun.id == claim.run_id,
            ReportRun.status.in_(FINISHED_STATUSES),
            ReportRun.worker_id == claim.worker_id,
            ReportRun.attempt == claim.attempt,
        )
    )
    return FinishResult.ALREADY_RECORDED if recorded_by_claim else FinishResult.TAKEN_OVER


async def retry_later(
    session: AsyncSession, claim: Claim, error: str | None, delay_seconds: float
) -> bool:
    """RUNNING → QUEUED for a further attempt after `delay_seconds` (asked for again by
    `request_due_runs`); False when the claim is not current or a cancel was asked meanwhile."""
    retried = (
        await session.execute(
            update(ReportRun)
            .where(current(claim), ReportRun.cancel_requested_at.is_(None))
            .values(
                status=RunStatus.QUEUED,
                worker_id=None,
                lease_expires_at=None,
                started_at=None,
                not_before=func.now() + timedelta(seconds=delay_seconds),
                retries=ReportRun.retries + 1,
                attempts=closed_attempts(error),
            )
            .returning(ReportRun.id)
        )
    ).one_or_none()
    return retried is not None


async def hand_back(session: AsyncSession, claim: Claim) -> None:
    """RUNNING → QUEUED with a new request, for a run this worker stops before it finished
    (CANCELLED instead when a cancel was asked); nothing when the claim is no longer current."""
    if await requeue(session, current(claim), "handed back: the runner was stopping") == 0:
        await finish_run(session, claim, CANCELLED)


async def requeue(session: AsyncSession, condition: ColumnElement[bool], error: str) -> int:
    """The runs matching `condition` and not being cancelled back to QUEUED, each with a new
    run.requested, in one statement; returns how many."""
    requeued = (
        await session.execute(
            update(ReportRun)
            .where(condition, ReportRun.cancel_requested_at.is_(None))
            .values(
                status=RunStatus.QUEUED,
                worker_id=None,
                lease_expires_at=None,
                started_at=None,
                not_before=None,
                requested_at=func.now(),
                attempts=closed_attempts(error),
            )
            .returning(ReportRun.id, ReportRun.report_id)
        )
    ).all()
    await request_runs(session, ((run.id, run.report_id) for run in requeued))
    return len(requeued)


async def run_status(session: AsyncSession, run_id: uuid.UUID) -> RunStatus | None:
    return await session.scalar(select(ReportRun.status).where(ReportRun.id == run_id))
