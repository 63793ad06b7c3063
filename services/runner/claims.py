"""The runner's state changes on report_runs: claim, renew, finish, hand back, recover.

Each one is a conditional UPDATE, so a redelivered or duplicated message cannot run a report
twice, and a runner that lost its lease cannot overwrite the outcome of the one that took over:
every change after the claim is fenced on the claim itself (run, worker and attempt).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import ColumnElement, any_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.runner.owner_check import owner_refusal
from services.runner.run_parameters import ParameterRefusal, run_parameters
from shared.events import RunCompleted
from shared.models import (
    FINISHED_STATUSES,
    Compression,
    EmptyResult,
    OutputFormat,
    Report,
    ReportRun,
    RunStatus,
    User,
)
from shared.outbox import add_event
from shared.report_parameters.resolution import ResolvedRun
from shared.run_queue import request_runs


@dataclass(frozen=True)
class Claim:
    """One claim of a run: a later claim of the same run, even by the same worker, is another."""

    run_id: uuid.UUID
    worker_id: str | None
    attempt: int


class FinishResult(Enum):
    RECORDED = "recorded"
    # An earlier try of this very claim committed although its answer was lost.
    ALREADY_RECORDED = "already recorded"
    TAKEN_OVER = "taken over"


@dataclass(frozen=True)
class ClaimedRun:
    run_id: uuid.UUID
    report_id: uuid.UUID
    report_name: str
    sql_query: str
    started_at: datetime
    attempt: int
    output_format: OutputFormat
    compression: Compression
    worker_id: str
    csv_formula_guard: bool = False
    # (setting, value) pairs for set_config before `sql_query` (the SQL with its placeholders
    # rewritten as references to them): shared/report_parameters.
    parameter_settings: tuple[tuple[str, str], ...] = ()
    # A successful export with no rows ends FAILED when this is `fail` (delivery_rules.py).
    empty_result: EmptyResult = EmptyResult.SEND
    # The report's own statement timeout; None: STATEMENT_TIMEOUT_SECONDS.
    timeout_seconds: int | None = None
    # Set when the report may not run any more (services.runner.owner_check): the run is
    # recorded as FAILED with this reason instead of exported.
    refusal: str | None = None

    @property
    def claim(self) -> Claim:
        return Claim(self.run_id, self.worker_id, self.attempt)


@dataclass(frozen=True)
class RunOutcome:
    status: RunStatus
    row_count: int | None = None
    byte_size: int | None = None
    output_path: str | None = None
    error_message: str | None = None
    sha256: str | None = None
    notes: str | None = None


def _lease_until(lease_seconds: float) -> ColumnElement[datetime]:
    return func.now() + timedelta(seconds=lease_seconds)


async def claim_run(
    session: AsyncSession, run_id: uuid.UUID, worker_id: str, lease_seconds: float
) -> ClaimedRun | None:
    """QUEUED → RUNNING for this worker; None when the run is not (or no longer) QUEUED."""
    run = (
        await session.execute(
            update(ReportRun)
            .where(ReportRun.id == run_id, ReportRun.status == RunStatus.QUEUED)
            .values(
                status=RunStatus.RUNNING,
                started_at=func.now(),
                attempt=ReportRun.attempt + 1,
                worker_id=worker_id,
                lease_expires_at=_lease_until(lease_seconds),
            )
            .returning(
                ReportRun.report_id,
                ReportRun.started_at,
                ReportRun.attempt,
                ReportRun.scheduled_for,
                ReportRun.queued_at,
                ReportRun.requested_parameters,
            )
        )
    ).one_or_none()
    if run is None:
        return None
    report = (
        await session.execute(
            select(
                Report.name,
                Report.sql_query,
                Report.output_format,
                Report.compression,
                Report.csv_formula_guard,
                Report.parameters,
                Report.timezone,
                Report.empty_result,
                Report.timeout_seconds,
                User.email.label("owner_email"),
                User.role.label("owner_role"),
                User.is_active.label("owner_active"),
            )
            .outerjoin(User, User.id == Report.owner_id)
            .where(Report.id == run.report_id)
        )
    ).one()
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
        refusal=refusal,
    )


async def renew_lease(session: AsyncSession, claim: Claim, lease_seconds: float) -> bool:
    """False when the claim is no longer current (its lease expired and the run was taken over)."""
    result = await session.execute(
        update(ReportRun)
        .where(_current(claim))
        .values(lease_expires_at=_lease_until(lease_seconds))
        .returning(ReportRun.id)
    )
    return result.one_or_none() is not None


def _current(claim: Claim) -> ColumnElement[bool]:
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
            .where(_current(claim))
            .values(
                status=outcome.status,
                finished_at=func.now(),
                row_count=outcome.row_count,
                byte_size=outcome.byte_size,
                output_path=outcome.output_path,
                error_message=outcome.error_message,
                sha256=outcome.sha256,
                notes=outcome.notes,
                lease_expires_at=None,
            )
            .returning(ReportRun.report_id)
        )
    ).one_or_none()
    if report_id is not None:
        add_event(session, _announcing(claim.run_id, report_id, outcome))
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


def _announcing(run_id: uuid.UUID, report_id: uuid.UUID, outcome: RunOutcome) -> RunCompleted:
    """The run.completed that recording `outcome` announces."""
    return RunCompleted(run_id=run_id, report_id=report_id, status=outcome.status)


async def hand_back(session: AsyncSession, claim: Claim) -> None:
    """RUNNING → QUEUED with a new request, for a run this worker stops before it finished;
    nothing when the claim is no longer current."""
    await _requeue(session, _current(claim))


async def _requeue(session: AsyncSession, condition: ColumnElement[bool]) -> int:
    """The runs matching `condition` back to QUEUED, each with a new run.requested, in one
    statement; returns how many."""
    requeued = (
        await session.execute(
            update(ReportRun)
            .where(condition)
            .values(
                status=RunStatus.QUEUED,
                worker_id=None,
                lease_expires_at=None,
                started_at=None,
                requested_at=func.now(),
            )
            .returning(ReportRun.id, ReportRun.report_id)
        )
    ).all()
    await request_runs(session, ((run.id, run.report_id) for run in requeued))
    return len(requeued)


async def run_status(session: AsyncSession, run_id: uuid.UUID) -> RunStatus | None:
    return await session.scalar(select(ReportRun.status).where(ReportRun.id == run_id))


@dataclass(frozen=True)
class Recovered:
    """Runs whose expired lease was recovered: how many queued again, how many FAILED."""

    run_ids: list[uuid.UUID]
    requeued: int
    failed: int


async def recover_expired_leases(session: AsyncSession, max_attempts: int) -> Recovered:
    """Runs whose runner died: queued again, or FAILED after max_attempts. Their rows stay
    locked until the transaction ends, so no new attempt of them starts before that."""
    expired = (
        await session.execute(
            select(ReportRun.id, ReportRun.attempt, ReportRun.worker_id)
            .where(ReportRun.status == RunStatus.RUNNING, ReportRun.lease_expires_at < func.now())
            .with_for_update(skip_locked=True)
        )
    ).all()
    requeued = failed = 0
    for run in expired:
        stale = Claim(run.id, run.worker_id, run.attempt)
        if run.attempt < max_attempts:
            requeued += await _requeue(session, _current(stale))
        else:
            message = (
                f"the runner stopped responding (lease expired) on attempt {run.attempt} "
                f"of {max_attempts}; giving up"
            )
            outcome = RunOutcome(RunStatus.FAILED, error_message=message)
            failed += await finish_run(session, stale, outcome) == FinishResult.RECORDED
    return Recovered([run.id for run in expired], requeued, failed)


async def rerequest_stale_queued(session: AsyncSession, older_than_seconds: float) -> int:
    """Writes run.requested again for QUEUED runs whose last request is older than the limit."""
    stale = (
        select(ReportRun.id)
        .where(
            ReportRun.status == RunStatus.QUEUED,
            ReportRun.requested_at < func.now() - timedelta(seconds=older_than_seconds),
        )
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    # = ANY(ARRAY(…)): each id is looked up by its key; IN (…) may be planned as a scan.
    return await _requeue(session, ReportRun.id == any_(func.array(stale.scalar_subquery())))
