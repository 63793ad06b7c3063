"""Queueing runs: QUEUED report_runs rows and the run.requested events that ask a runner for them.

The one place that writes run.requested: the api queues one manual run, the scheduler a batch
of slots, and the runner requests runs it put back in the queue. Helpers take the caller's
session and never commit: the rows and their events are written, or not, together.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, bindparam, func, literal, null, select, true
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID, Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import RunRequested
from shared.models import Report, ReportRun, RunTrigger
from shared.outbox import OutboxRow, add_events


@dataclass(frozen=True)
class QueuedRun:
    run_id: uuid.UUID
    report_id: uuid.UUID
    scheduled_for: datetime | None


@dataclass(frozen=True)
class QueuedRuns:
    runs: list[QueuedRun]
    # Their run.requested events, for OutboxRelay.publish_committed once the caller committed.
    events: list[OutboxRow]


def _insert_runs(
    trigger: RunTrigger,
    slots: Sequence[tuple[uuid.UUID, datetime | None]],
    eligible: ColumnElement[bool] | None,
    requested_parameters: Mapping[str, Any] | None,
) -> Insert:
    """The INSERT … SELECT FROM unnest of queue_runs, without its RETURNING."""
    requested = (
        null()
        if requested_parameters is None
        else bindparam("requested_parameters", dict(requested_parameters), type_=JSONB)
    )
    due = (
        func.unnest(
            bindparam(
                "report_ids",
                [report_id for report_id, _ in slots],
                type_=ARRAY(UUID(as_uuid=True)),
            ),
            bindparam("slots", [slot for _, slot in slots], type_=ARRAY(DateTime(timezone=True))),
        )
        .table_valued("report_id", "scheduled_for")
        .render_derived(name="due")
    )
    return (
        insert(ReportRun)
        .from_select(
            [
                ReportRun.id,
                ReportRun.report_id,
                ReportRun.trigger,
                ReportRun.scheduled_for,
                ReportRun.requested_parameters,
            ],
            select(
                func.gen_random_uuid(),
                Report.id,
                literal(trigger.value),
                due.c.scheduled_for,
                requested,
            )
            .select_from(due)
            .join(Report, Report.id == due.c.report_id)
            .where(true() if eligible is None else eligible)
            .with_for_update(key_share=True, read=True, of=Report),
        )
        .on_conflict_do_nothing(index_elements=["report_id", "scheduled_for"])
    )


async def queue_runs(
    session: AsyncSession,
    trigger: RunTrigger,
    slots: Sequence[tuple[uuid.UUID, datetime | None]],
    eligible: ColumnElement[bool] | None = None,
    requested_parameters: Mapping[str, Any] | None = None,
) -> QueuedRuns:
    """One QUEUED run and its run.requested per (report id, scheduled_for), in one INSERT …
    SELECT FROM unnest and one batch of outbox rows, however many slots there are.

    Idempotent for scheduled slots: the unique (report_id, scheduled_for) key makes a slot that
    was already queued a no-op (ON CONFLICT DO NOTHING), and only inserted runs get an event; a
    manual run (scheduled_for NULL) is always new. A report that does not exist or does not
    match `eligible` gets no run; FOR KEY SHARE keeps each report from being deleted or having
    its key changed until the caller commits. `requested_parameters` (already checked against
    the report's declarations) are recorded on every run queued; the runner resolves the
    values at claim.
    """
    rows = await session.execute(
        _insert_runs(trigger, slots, eligible, requested_parameters).returning(
            ReportRun.id, ReportRun.report_id, ReportRun.scheduled_for
        )
    )
    queued = [QueuedRun(row.id, row.report_id, row.scheduled_for) for row in rows]
    events = await request_runs(session, ((run.run_id, run.report_id) for run in queued))
    return QueuedRuns(queued, events)


async def queue_run(
    session: AsyncSession,
    report_id: uuid.UUID,
    trigger: RunTrigger = RunTrigger.MANUAL,
    requested_parameters: Mapping[str, Any] | None = None,
) -> ReportRun | None:
    """One QUEUED run of the report and its run.requested; None when there is no such report.

    Like queue_runs with one slot, but the INSERT returns the whole run (no read after it)."""
    insert_run = _insert_runs(trigger, [(report_id, None)], None, requested_parameters)
    run = (await session.scalars(insert_run.returning(ReportRun))).one_or_none()
    if run is None:
        return None
    await request_runs(session, [(run.id, run.report_id)])
    return run


async def request_runs(
    session: AsyncSession, runs: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> list[OutboxRow]:
    """A run.requested outbox row for each (run id, report id) of a run that is QUEUED."""
    return await add_events(
        session, [RunRequested(run_id=run_id, report_id=report_id) for run_id, report_id in runs]
    )
