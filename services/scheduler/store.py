"""The scheduler's reads and writes: scheduled reports, their last slots, and new runs."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.plan import Schedule
from shared.cron import InvalidSchedule, validate_cron, validate_timezone
from shared.events import RunRequested
from shared.models import Report, ReportRun, RunTrigger
from shared.outbox import OutboxRow, add_events

log = logging.getLogger(__name__)

_SCHEDULED = Report.is_active.is_(True) & Report.schedule_cron.is_not(None)


@dataclass(frozen=True)
class ScheduledReport:
    schedule: Schedule
    # The newest SCHEDULE run's slot, or (never fired) when the report was created.
    last_slot: datetime


@dataclass(frozen=True)
class CreatedRun:
    run_id: uuid.UUID
    report_id: uuid.UUID
    scheduled_for: datetime
    requested_at: datetime


@dataclass(frozen=True)
class CreatedRuns:
    runs: list[CreatedRun]
    # Their run.requested events, to publish once the transaction committed.
    events: list[OutboxRow]


async def schedules_fingerprint(session: AsyncSession) -> str:
    """Changes whenever a report is added, deleted, (de)activated or its schedule edited.

    Computed in the database over the schedule columns themselves, so it catches every writer
    (API, psql, migrations) without relying on updated_at or a trigger; only a hash comes back.
    """
    row = (
        await session.execute(
            select(
                func.count(),
                func.md5(
                    func.string_agg(
                        func.concat_ws(" ", Report.id, Report.schedule_cron, Report.timezone),
                        aggregate_order_by(literal(","), Report.id),
                    )
                ),
            ).where(_SCHEDULED)
        )
    ).one()
    return f"{row[0]}:{row[1]}"


_SCHEDULE_COLUMNS = (Report.id, Report.schedule_cron, Report.timezone)


async def schedules(session: AsyncSession) -> list[Schedule]:
    """Active reports' valid schedules, without their run history (for following changes)."""
    rows = await session.execute(select(*_SCHEDULE_COLUMNS).where(_SCHEDULED))
    return [
        schedule
        for row in rows
        if (schedule := _valid_schedule(row.id, row.schedule_cron, row.timezone)) is not None
    ]


async def scheduled_reports(session: AsyncSession) -> list[ScheduledReport]:
    """Active reports' valid schedules, each with the last slot it fired (to resume from)."""
    last_slot = (
        select(func.max(ReportRun.scheduled_for))
        .where(ReportRun.report_id == Report.id, ReportRun.trigger == RunTrigger.SCHEDULE)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            *_SCHEDULE_COLUMNS, func.coalesce(last_slot, Report.created_at).label("last_slot")
        ).where(_SCHEDULED)
    )
    return [
        ScheduledReport(schedule, row.last_slot)
        for row in rows
        if (schedule := _valid_schedule(row.id, row.schedule_cron, row.timezone)) is not None
    ]


def _valid_schedule(report_id: uuid.UUID, cron: str | None, timezone: str) -> Schedule | None:
    """None for an invalid schedule (written around the API), which is logged."""
    try:
        schedule = Schedule(report_id, validate_cron(cron or ""), timezone)
        validate_timezone(timezone)
    except InvalidSchedule as error:
        log.error("report not scheduled: %s", error, extra={"report_id": report_id})
        return None
    return schedule


async def create_runs(session: AsyncSession, due: list[tuple[uuid.UUID, datetime]]) -> CreatedRuns:
    """One QUEUED SCHEDULE run and its run.requested event per (report, slot), in one statement.

    Idempotent: the unique (report_id, scheduled_for) key makes a slot that another scheduler
    already fired a no-op (ON CONFLICT DO NOTHING), and only inserted runs get an event. A
    report deleted or deactivated meanwhile is left out; FOR KEY SHARE keeps it until commit.
    """
    slots = (
        func.unnest(
            bindparam(
                "report_ids",
                [report_id for report_id, _ in due],
                type_=ARRAY(UUID(as_uuid=True)),
            ),
            bindparam("slots", [slot for _, slot in due], type_=ARRAY(DateTime(timezone=True))),
        )
        .table_valued("report_id", "scheduled_for")
        .render_derived(name="due")
    )
    rows = await session.execute(
        insert(ReportRun)
        .from_select(
            [ReportRun.id, ReportRun.report_id, ReportRun.trigger, ReportRun.scheduled_for],
            select(
                func.gen_random_uuid(),
                Report.id,
                literal(RunTrigger.SCHEDULE.value),
                slots.c.scheduled_for,
            )
            .select_from(slots)
            .join(Report, Report.id == slots.c.report_id)
            .where(_SCHEDULED)
            .with_for_update(key_share=True, read=True, of=Report),
        )
        .on_conflict_do_nothing(index_elements=["report_id", "scheduled_for"])
        .returning(
            ReportRun.id, ReportRun.report_id, ReportRun.scheduled_for, ReportRun.requested_at
        )
    )
    created = [
        CreatedRun(row.id, row.report_id, row.scheduled_for, row.requested_at) for row in rows
    ]
    events = await add_events(
        session,
        [
            RunRequested(
                run_id=run.run_id,
                report_id=run.report_id,
                trigger=RunTrigger.SCHEDULE,
                scheduled_for=run.scheduled_for,
                requested_at=run.requested_at,
            )
            for run in created
        ],
    )
    return CreatedRuns(created, events)
