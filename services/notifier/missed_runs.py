"""Finds finished runs the notifier never logged: their run.completed was lost or dead-lettered.

Every run.completed the notifier handles writes the run's LOG row in its first transaction, so
a finished run without one, once it has had time to arrive, was never handled.
"""

from datetime import timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier.notification_log import LOG_RECIPIENT
from shared.events import RunCompleted
from shared.models import FINISHED_STATUSES, NotificationChannel, NotificationLog, ReportRun


async def find_missed_runs(
    session: AsyncSession, settle_seconds: float, lookback_hours: float, limit: int
) -> list[RunCompleted]:
    """Oldest first, at most `limit`: the run.completed each of them should have had."""
    logged = exists().where(
        NotificationLog.run_id == ReportRun.id,
        NotificationLog.channel == NotificationChannel.LOG,
        NotificationLog.recipient == LOG_RECIPIENT,
    )
    now = func.now()
    runs = await session.scalars(
        select(ReportRun)
        .where(
            ReportRun.status.in_(FINISHED_STATUSES),
            ReportRun.finished_at < now - timedelta(seconds=settle_seconds),
            ReportRun.finished_at > now - timedelta(hours=lookback_hours),
            ~logged,
        )
        .order_by(ReportRun.finished_at)
        .limit(limit)
    )
    return [RunCompleted.announcing(run) for run in runs]
