"""Builds report answers: the stored definition plus its owner, next fire time and last run."""

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.schemas import LastRun, ReportOut
from shared.cron import next_fire_time
from shared.events import utc_now
from shared.models import Report, ReportRun, User


def next_run_at(report: Report, now: datetime) -> datetime | None:
    if not report.is_active or not report.schedule_cron:
        return None
    return next_fire_time(report.schedule_cron, report.timezone, now)


async def last_runs(
    session: AsyncSession, report_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LastRun]:
    if not report_ids:
        return {}
    rows = await session.execute(
        select(
            ReportRun.report_id,
            ReportRun.id,
            ReportRun.status,
            ReportRun.finished_at,
            ReportRun.row_count,
            ReportRun.byte_size,
        )
        .where(ReportRun.report_id.in_(report_ids))
        .order_by(ReportRun.report_id, ReportRun.queued_at.desc())
        .ext(distinct_on(ReportRun.report_id))
    )
    return {
        row.report_id: LastRun(
            id=row.id,
            status=row.status,
            finished_at=row.finished_at,
            row_count=row.row_count,
            byte_size=row.byte_size,
        )
        for row in rows
    }


async def owner_emails(
    session: AsyncSession, owner_ids: set[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    ids = [owner_id for owner_id in owner_ids if owner_id is not None]
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.email).where(User.id.in_(ids)))
    return {row.id: row.email for row in rows}


async def report_views(session: AsyncSession, reports: Sequence[Report]) -> list[ReportOut]:
    last = await last_runs(session, [report.id for report in reports])
    owners = await owner_emails(session, {report.owner_id for report in reports})
    # Cron arithmetic for thousands of reports takes seconds: keep it off the event loop.
    return await asyncio.to_thread(_views, reports, last, owners, utc_now())


def _views(
    reports: Sequence[Report],
    last: dict[uuid.UUID, LastRun],
    owners: dict[uuid.UUID, str],
    now: datetime,
) -> list[ReportOut]:
    return [
        ReportOut.model_validate(report).model_copy(
            update={
                "next_run_at": next_run_at(report, now),
                "last_run": last.get(report.id),
                "owner_email": owners.get(report.owner_id) if report.owner_id else None,
            }
        )
        for report in reports
    ]


async def report_view(session: AsyncSession, report: Report) -> ReportOut:
    return (await report_views(session, [report]))[0]
