"""The overlap rule at the claim: a scheduled run whose report has another run RUNNING is
SKIPPED (`skip`) or held back QUEUED (`queue`); `allow` and manual runs are claimed as usual.

One report's claims are decided one at a time (a transaction-level advisory lock), so two
runners cannot both see "nothing else is RUNNING" and start two runs of it.
"""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, Text, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.runner.claim_records import NotClaimed, RunOutcome, announcing, due
from shared.models import Overlap, ReportRun, RunStatus
from shared.outbox import add_event

# The `class` of pg_advisory_xact_lock(class, key); the key is the report id's hash.
OVERLAP_LOCK_CLASS = 0x52464F56


def report_claims_lock(report_id: SQLColumnExpression[uuid.UUID]) -> ColumnElement[Any]:
    """Takes the report's claim lock where it is evaluated, held until the transaction ends."""
    return func.pg_advisory_xact_lock(OVERLAP_LOCK_CLASS, func.hashtext(cast(report_id, Text)))


async def overlap_verdict(
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
            .where(ReportRun.id == run_id, due())
            .values(status=RunStatus.SKIPPED, finished_at=func.now(), error_message=reason)
            .returning(ReportRun.report_id)
        )
    ).one_or_none()
    if report_id is None:
        return NotClaimed.NOT_DUE
    add_event(session, announcing(run_id, report_id, outcome))
    return NotClaimed.SKIPPED


async def _hold_back(session: AsyncSession, run_id: uuid.UUID, seconds: float) -> None:
    """The run stays QUEUED; `request_due_runs` asks for it again once `seconds` passed."""
    await session.execute(
        update(ReportRun)
        .where(ReportRun.id == run_id, due())
        .values(not_before=func.now() + timedelta(seconds=seconds))
    )
