"""Finds finished runs the notifier never logged: their run.completed was lost or dead-lettered.

Every run.completed the notifier handles writes the run's LOG row in its first transaction, so
a finished run without one, once it has had time to arrive, was never handled.
"""

import uuid
from datetime import timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier.notification_log import LOG_RECIPIENT
from shared.models import FINISHED_STATUSES, NotificationChannel, NotificationLog, ReportRun


async def find_missed_runs(
    session: AsyncSession, settle_seconds: float, lookback_hours: float, limit: int
) -> list[uuid.UUID]:
    """The ids of those runs, oldest first, at most `limit`."""
    logged = exists().where(
        NotificationLog.run_id == ReportRun.id,
        NotificationLog.channel == NotificationChannel.LOG,
        NotificationLog.recipient == LOG_RECIPIENT,
    )
    now = func.now()
    runs = await session.scalars(
        select(ReportRun.id)
        .where(
            ReportRun.status.in_(FINISHED_STATUSES),
            ReportRun.finished_at < now - timedelta(seconds=settle_seconds),
            ReportRun.finished_at > now - timedelta(hours=lookback_hours),
            ~logged,
        )
        .order_by(ReportRun.finished_at)
        .limit(limit)
    )
    return list(runs)
