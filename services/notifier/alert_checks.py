"""The watchdog's reads: each check looks at the database and returns its kind's Verdict."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier.alert_rules import (
    AlertKey,
    Finding,
    Verdict,
    missed_slot,
    run_deadline,
    scheduler_is_down,
)
from shared.models import (
    SCHEDULER_HEARTBEAT,
    AlertKind,
    NotificationChannel,
    NotificationLog,
    NotificationStatus,
    Report,
    ReportRun,
    RunStatus,
    RunTrigger,
    ServiceHeartbeat,
)
from shared.settings import RunTimeoutSettings

# An error shown in an alert is cut here: details stay small.
MAX_REASON_CHARS = 500


async def database_now(session: AsyncSession) -> datetime:
    """Every check compares with the database's clock, the one that wrote the timestamps."""
    return (await session.execute(select(func.now()))).scalar_one()


async def failing_runs(session: AsyncSession, lookback: timedelta) -> Verdict:
    """A report whose latest SUCCESS-or-FAILED run (within the lookback) FAILED is failing;
    one whose latest SUCCEEDED has cleared. Reports without such a run are left as they are."""
    latest = (
        select(ReportRun.report_id, ReportRun.id, ReportRun.status, ReportRun.error_message)
        .where(
            ReportRun.status.in_([RunStatus.SUCCESS, RunStatus.FAILED]),
            ReportRun.finished_at > func.now() - lookback,
        )
        .order_by(ReportRun.report_id, ReportRun.finished_at.desc())
        .ext(distinct_on(ReportRun.report_id))
    )
    found, cleared = [], set()
    for row in await session.execute(latest):
        key = AlertKey(AlertKind.RUN_FAILING, row.report_id)
        if row.status == RunStatus.FAILED:
            reason = (row.error_message or "no reason recorded")[:MAX_REASON_CHARS]
            found.append(Finding(key, {"run_id": str(row.id), "reason": reason}))
        else:
            cleared.add(key)
    return Verdict(AlertKind.RUN_FAILING, found, frozenset(cleared))


async def failing_deliveries(session: AsyncSession, lookback: timedelta) -> Verdict:
    """Per report and target, the latest SENT-or-FAILED ledger row (of runs finished within
    the lookback) decides, as for runs."""
    latest = (
        select(
            ReportRun.report_id,
            NotificationLog.channel,
            NotificationLog.recipient,
            NotificationLog.status,
            NotificationLog.error_message,
            NotificationLog.run_id,
        )
        .join(ReportRun, ReportRun.id == NotificationLog.run_id)
        .where(
            NotificationLog.channel != NotificationChannel.LOG,
            NotificationLog.status.in_([NotificationStatus.SENT, NotificationStatus.FAILED]),
            # The run's finish, not the row's update, bounds the scan: it is indexed.
            ReportRun.finished_at > func.now() - lookback,
        )
        .order_by(
            ReportRun.report_id,
            NotificationLog.channel,
            NotificationLog.recipient,
            NotificationLog.updated_at.desc(),
        )
        .ext(distinct_on(ReportRun.report_id, NotificationLog.channel, NotificationLog.recipient))
    )
    found, cleared = [], set()
    for row in await session.execute(latest):
        # The ledger's recipient is a non-secret label already (an address, a host).
        key = AlertKey(AlertKind.DELIVERY_FAILING, row.report_id, f"{row.channel}:{row.recipient}")
        if row.status == NotificationStatus.FAILED:
            reason = (row.error_message or "no reason recorded")[:MAX_REASON_CHARS]
            details = {"channel": str(row.channel), "target": row.recipient, "reason": reason}
            found.append(Finding(key, {**details, "run_id": str(row.run_id)}))
        else:
            cleared.add(key)
    return Verdict(AlertKind.DELIVERY_FAILING, found, frozenset(cleared))


async def missed_slots(session: AsyncSession, now: datetime, grace: timedelta) -> Verdict:
    """Every active scheduled report is looked at: one no longer scheduled has cleared."""
    last_fired = (
        select(func.max(ReportRun.scheduled_for))
        .where(ReportRun.report_id == Report.id, ReportRun.trigger == RunTrigger.SCHEDULE)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            Report.id,
            Report.schedule_cron,
            Report.timezone,
            Report.updated_at,
            last_fired.label("last_fired"),
        ).where(Report.is_active.is_(True), Report.schedule_cron.is_not(None))
    )
    found = []
    for row in rows:
        slot = missed_slot(
            row.schedule_cron or "", row.timezone, now, grace, row.updated_at, row.last_fired
        )
        if slot is not None:
            details = {"slot": slot.isoformat(), "grace_seconds": grace.total_seconds()}
            found.append(Finding(AlertKey(AlertKind.MISSED_SLOT, row.id), details))
    return Verdict(AlertKind.MISSED_SLOT, found)


async def overdue_runs(
    session: AsyncSession, now: datetime, timeouts: RunTimeoutSettings, margin: timedelta
) -> Verdict:
    """RUNNING runs past their statement timeout plus the margin; a run that ended cleared."""
    rows = await session.execute(
        select(ReportRun.id, ReportRun.report_id, ReportRun.started_at, Report.timeout_seconds)
        .join(Report, Report.id == ReportRun.report_id)
        .where(ReportRun.status == RunStatus.RUNNING, ReportRun.started_at.is_not(None))
    )
    found = []
    for row in rows:
        timeout = timeouts.run_timeout(row.timeout_seconds)
        deadline = run_deadline(row.started_at, timeout, margin)
        if deadline < now:
            details = {
                "run_id": str(row.id),
                "started_at": row.started_at.isoformat(),
                "timeout_seconds": timeout,
            }
            key = AlertKey(AlertKind.RUN_OVERDUE, row.report_id, str(row.id))
            found.append(Finding(key, details))
    return Verdict(AlertKind.RUN_OVERDUE, found)


async def scheduler_down(session: AsyncSession, now: datetime, grace: timedelta) -> Verdict | None:
    """None while no scheduler ever wrote a heartbeat here: nothing to compare with."""
    last_beat = await session.scalar(
        select(ServiceHeartbeat.beat_at).where(ServiceHeartbeat.service == SCHEDULER_HEARTBEAT)
    )
    if last_beat is None:
        return None
    found = []
    if scheduler_is_down(last_beat, now, grace):
        details = {"last_heartbeat": last_beat.isoformat(), "grace_seconds": grace.total_seconds()}
        found.append(Finding(AlertKey(AlertKind.SCHEDULER_DOWN), details))
    return Verdict(AlertKind.SCHEDULER_DOWN, found)
