"""The runner's recovery queries on report_runs: runs whose runner died (lease expired), QUEUED
runs whose request was lost, and held-back runs (a retry's delay, an overlap wait) now due.

Like every change of a claimed run, each is fenced on the claim it recovers (claims.current).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, any_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.runner.claim_records import CANCELLED, Claim, FinishResult, RunOutcome
from services.runner.claims import current, finish_run, requeue
from shared.models import ReportRun, RunStatus
from shared.run_queue import request_runs


@dataclass(frozen=True)
class Recovered:
    """Runs whose expired lease was recovered: how many queued again, how many FAILED."""

    run_ids: list[uuid.UUID]
    requeued: int
    failed: int


async def recover_expired_leases(session: AsyncSession, max_attempts: int) -> Recovered:
    """Runs whose runner died: queued again, cancelled, or FAILED after max_attempts. Their rows
    stay locked until the transaction ends, so no new attempt of them starts before that."""
    expired = (
        await session.execute(
            select(
                ReportRun.id,
                ReportRun.attempt,
                ReportRun.retries,
                ReportRun.worker_id,
                ReportRun.cancel_requested_at,
            )
            .where(ReportRun.status == RunStatus.RUNNING, ReportRun.lease_expires_at < func.now())
            .with_for_update(skip_locked=True)
        )
    ).all()
    requeued = failed = 0
    for run in expired:
        stale = Claim(run.id, run.worker_id, run.attempt)
        # Retries of transient failures are attempts too, but not the runner's to count here.
        lease_attempts = run.attempt - run.retries
        if run.cancel_requested_at is not None:
            await finish_run(session, stale, CANCELLED)
        elif lease_attempts < max_attempts:
            requeued += await requeue(
                session, current(stale), "the runner stopped responding (lease expired)"
            )
        else:
            message = (
                f"the runner stopped responding (lease expired) on attempt {lease_attempts} "
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
            ReportRun.not_before.is_(None),
            ReportRun.requested_at < func.now() - timedelta(seconds=older_than_seconds),
        )
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    return await _request_again(session, stale)


async def request_due_runs(session: AsyncSession) -> int:
    """Writes run.requested for QUEUED runs held back until now (a retry, an overlap wait)."""
    due = (
        select(ReportRun.id)
        .where(ReportRun.status == RunStatus.QUEUED, ReportRun.not_before <= func.now())
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    return await _request_again(session, due)


async def _request_again(session: AsyncSession, runs: Select[uuid.UUID]) -> int:
    # = ANY(ARRAY(…)): each id is looked up by its key; IN (…) may be planned as a scan.
    requested = (
        await session.execute(
            update(ReportRun)
            .where(ReportRun.id == any_(func.array(runs.scalar_subquery())))
            .values(not_before=None, requested_at=func.now())
            .returning(ReportRun.id, ReportRun.report_id)
        )
    ).all()
    await request_runs(session, ((run.id, run.report_id) for run in requested))
    return len(requested)
