"""The runner's state changes on report_runs: claim, renew, finish, retry, hand back (lease
recovery, built on these, is in lease_recovery.py).

Each one is a conditional UPDATE, so a redelivered or duplicated message cannot run a report
twice, and a runner that lost its lease cannot overwrite the outcome of the one that took over:
every change after the claim is fenced on the claim itself (run, worker and attempt). Each
attempt is listed in the run's `attempts` (opened at the claim, closed with its error).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import (
    ColumnElement,
    Row,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.runner.attempt_log import closed_attempts, opened_attempt
from services.runner.owner_check import owner_refusal
from shared.events import RunCompleted
from shared.models import (
    FINISHED_STATUSES,
    Compression,
    OutputFormat,
    Overlap,
    Report,
    ReportRun,
    RunStatus,
    RunTrigger,
    User,
)
from shared.outbox import add_event
from shared.run_queue import request_runs


@dataclass(frozen=True)
class Claim:
    """One claim of a run: a later claim of the same run, even by the same worker, is another."""

    run_id: uuid.UUID
    worker_id: str | None
    attempt: int


class NotClaimed(Enum):
    NOT_DUE = "not QUEUED, or not due yet"
    SKIPPED = "skipped: the report's previous run is still running"
    WAITING = "waiting for the report's previous run to end"


class Renewal(Enum):
    CURRENT = "current"
    CANCEL_REQUESTED = "cancel requested"
    # The claim is no longer current: its lease expired and the run was taken over.
    LOST = "lost"


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
    max_retries: int = 0
    retry_delay_seconds: int = 60
    retries: int = 0
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
    # A FAILED outcome whose cause may be gone at a later attempt (services.runner.retry_policy).
    transient: bool = False


CANCELLED = RunOutcome(RunStatus.CANCELLED, error_message="cancelled on request")
# pg_advisory_xact_lock(class, key) class of the overlap decision: one report's claims are
# decided one at a time, so two runners cannot both see "nothing else is RUNNING".
OVERLAP_LOCK_CLASS = 0x52464F56


def _lease_until(lease_seconds: float) -> ColumnElement[datetime]:
    return func.now() + timedelta(seconds=lease_seconds)


def _due() -> ColumnElement[bool]:
    """QUEUED, not cancelled, and not held back (a retry's delay, an overlap wait)."""
    return (
        (ReportRun.status == RunStatus.QUEUED)
        & ReportRun.cancel_requested_at.is_(None)
        & (ReportRun.not_before.is_(None) | (ReportRun.not_before <= func.now()))
    )


async def claim_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    worker_id: str,
    lease_seconds: float,
    overlap_wait_seconds: float = 5.0,
) -> ClaimedRun | NotClaimed:
    """QUEUED → RUNNING for this worker, unless the run is not due or its report's overlap rule
    says a scheduled run waits for (`queue`) or gives way to (`skip`) a run still RUNNING."""
    candidate = (
        await session.execute(
            select(ReportRun.report_id, ReportRun.trigger, Report.overlap)
            .join(Report, Report.id == ReportRun.report_id)
            .where(ReportRun.id == run_id, _due())
        )
    ).one_or_none()
    if candidate is None:
        return NotClaimed.NOT_DUE
    await session.execute(
        select(
            func.pg_advisory_xact_lock(OVERLAP_LOCK_CLASS, func.hashtext(str(candidate.report_id)))
        )
    )
    if candidate.trigger == RunTrigger.SCHEDULE and candidate.overlap != Overlap.ALLOW:
        verdict = await _overlap_verdict(
            session, run_id, candidate.report_id, candidate.overlap, overlap_wait_seconds
        )
        if verdict is not None:
            return verdict
    run = (
        await session.execute(
            update(ReportRun)
            .where(ReportRun.id == run_id, _due())
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
                ReportRun.report_id, ReportRun.started_at, ReportRun.attempt, ReportRun.retries
            )
        )
    ).one_or_none()
    if run is None:
        return NotClaimed.NOT_DUE
    return await _claimed(session, run_id, worker_id, run)


async def _claimed(
    session: AsyncSession,
    run_id: uuid.UUID,
    worker_id: str,
    run: Row[uuid.UUID, datetime | None, int, int],
) -> ClaimedRun:
    """The claimed run with what the export needs of its report, read at the claim."""
    report = (
        await session.execute(
            select(
                Report.name,
                Report.sql_query,
                Report.output_format,
                Report.compression,
                Report.csv_formula_guard,
                Report.max_retries,
                Report.retry_delay_seconds,
                User.email.label("owner_email"),
                User.role.label("owner_role"),
                User.is_active.label("owner_active"),
            )
            .outerjoin(User, User.id == Report.owner_id)
            .where(Report.id == run.report_id)
        )
    ).one()
    return ClaimedRun(
        run_id,
        run.report_id,
        report.name,
        report.sql_query,
        run.started_at,
        run.attempt,
        report.output_format,
        report.compression,
        worker_id,
        csv_formula_guard=report.csv_formula_guard,
        max_retries=report.max_retries,
        retry_delay_seconds=report.retry_delay_seconds,
        retries=run.retries,
        refusal=owner_refusal(report.owner_email, report.owner_role, report.owner_active),
    )


async def _overlap_verdict(
    session: AsyncSession,
    run_id: uuid.UUID,
    report_id: uuid.UUID,
    overlap: Overlap,
    wait_seconds: float,
) -> NotClaimed | None:
    """None when no other run of the report is RUNNING; else the slot is skipped or waits."""
    previous = await session.scalar(
        select(ReportRun.id)
        .where(
            ReportRun.report_id == report_id,
            ReportRun.status == RunStatus.RUNNING,
            ReportRun.id != run_id,
        )
        .limit(1)
    )
    if previous is None:
        return None
    if overlap == Overlap.SKIP:
        return await _skip(session, run_id, previous)
    await _hold_back(session, run_id, wait_seconds)
    return NotClaimed.WAITING


async def _skip(session: AsyncSession, run_id: uuid.UUID, previous: uuid.UUID) -> NotClaimed:
    """QUEUED → SKIPPED with the reason, and its run.completed (the notifier logs it)."""
    reason = f"skipped: the report's previous run {previous} was still running (overlap: skip)"
    outcome = RunOutcome(RunStatus.SKIPPED, error_message=reason)
    report_id = (
        await session.scalars(
            update(ReportRun)
            .where(ReportRun.id == run_id, _due())
            .values(status=RunStatus.SKIPPED, finished_at=func.now(), error_message=reason)
            .returning(ReportRun.report_id)
        )
    ).one_or_none()
    if report_id is None:
        return NotClaimed.NOT_DUE
    add_event(session, _announcing(run_id, report_id, outcome))
    return NotClaimed.SKIPPED


async def _hold_back(session: AsyncSession, run_id: uuid.UUID, seconds: float) -> None:
    """The run stays QUEUED; `request_due_runs` asks for it again once `seconds` passed."""
    await session.execute(
        update(ReportRun)
        .where(ReportRun.id == run_id, _due())
        .values(not_before=func.now() + timedelta(seconds=seconds))
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
