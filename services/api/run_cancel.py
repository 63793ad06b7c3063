"""Cancelling a run: a QUEUED run ends CANCELLED here, a RUNNING one is asked to stop.

The api is a second writer of report_runs for exactly this (docs/architecture.md): the
conditional updates below never overwrite a runner's write. A QUEUED run is finished only
`WHERE status = 'QUEUED'` (a runner claims only a run that is still QUEUED, and no longer one
whose cancel was asked), together with its run.completed; a RUNNING run only gets
`cancel_requested_at`, which the runner holding it reads at its next progress tick and acts on.
"""

import uuid
from enum import Enum

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import RunCompleted
from shared.models import ReportRun, RunStatus
from shared.outbox import add_event

CANCELLED_BEFORE_START = "cancelled on request before it started"


class CancelResult(Enum):
    CANCELLED = "cancelled"  # it was QUEUED: CANCELLED now
    REQUESTED = "requested"  # it is RUNNING: its runner stops it within seconds
    FINISHED = "finished"  # it had already ended: nothing to cancel


async def cancel_run(session: AsyncSession, run_id: uuid.UUID) -> CancelResult:
    """Idempotent: a second cancel of a RUNNING run keeps the first request's time."""
    report_id = (
        await session.scalars(
            update(ReportRun)
            .where(ReportRun.id == run_id, ReportRun.status == RunStatus.QUEUED)
            .values(
                status=RunStatus.CANCELLED,
                cancel_requested_at=func.now(),
                finished_at=func.now(),
                not_before=None,
                error_message=CANCELLED_BEFORE_START,
            )
            .returning(ReportRun.report_id)
        )
    ).one_or_none()
    if report_id is not None:
        add_event(
            session, RunCompleted(run_id=run_id, report_id=report_id, status=RunStatus.CANCELLED)
        )
        return CancelResult.CANCELLED
    requested = (
        await session.scalars(
            update(ReportRun)
            .where(ReportRun.id == run_id, ReportRun.status == RunStatus.RUNNING)
            .values(cancel_requested_at=func.coalesce(ReportRun.cancel_requested_at, func.now()))
            .returning(ReportRun.id)
        )
    ).one_or_none()
    return CancelResult.FINISHED if requested is None else CancelResult.REQUESTED
