"""The scheduler's reads and writes: scheduled reports, their last slots, and new runs."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.plan import Schedule
from shared.cron import InvalidSchedule, validate_cron, validate_timezone
from shared.models import SCHEDULER_HEARTBEAT, Report, ReportRun, RunTrigger, ServiceHeartbeat
from shared.run_queue import QueuedRuns, queue_runs

log = logging.getLogger(__name__)

_SCHEDULED = Report.is_active.is_(True) & Report.schedule_cron.is_not(None)


@dataclass(frozen=True)
class ScheduledReport:
    schedule: Schedule
    # The newest SCHEDULE run's slot, or (never fired) when the report was created.
    last_slot: datetime


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


async def create_runs(session: AsyncSession, due: list[tuple[uuid.UUID, datetime]]) -> QueuedRuns:
    """One QUEUED SCHEDULE run and its run.requested event per (report, slot), in one statement.

    Idempotent: a slot that another scheduler already fired is a no-op and gets no event. A
    report deleted, deactivated or unscheduled meanwhile is left out.
    """
    return await queue_runs(session, RunTrigger.SCHEDULE, due, eligible=_SCHEDULED)


async def beat(session: AsyncSession) -> None:
    """The leader is alive: its heartbeat is now, by the database's clock (the notifier's
    watchdog reads it for scheduler_down)."""
    statement = insert(ServiceHeartbeat).values(service=SCHEDULER_HEARTBEAT, beat_at=func.now())
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["service"], set_={"beat_at": statement.excluded.beat_at}
        )
    )
