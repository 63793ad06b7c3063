"""Retention, a periodic job of the runner (the writer of report_runs): expires old files,
deletes old run history when asked to, and removes files whose run no longer exists.

Every step works in bounded batches, one transaction each, locking its rows with SKIP LOCKED,
so several runners share the work. A file is removed inside the transaction that records it
gone: a crash in between leaves a run marked as still having a file that is missing (answered
410 like an expired one), never a file that no run names for longer than the next sweep.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Interval, delete, func, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.runner.retained_files import (
    remove_recorded_files,
    remove_unclaimed,
    unclaimed_candidates,
)
from services.runner.settings import RunnerSettings
from shared.lifecycle import wait_for_stop
from shared.models import FINISHED_STATUSES, Report, ReportRun, RunStatus

log = logging.getLogger(__name__)

ONE_DAY = literal_column("interval '1 day'", Interval())
# PostgreSQL's file name of a recorded path (the runner may have recorded another mount).
RECORDED_NAME = func.regexp_replace(ReportRun.output_path, "^.*/", "")


@dataclass(frozen=True)
class Swept:
    expired_files: int
    deleted_runs: int
    orphan_files: int


async def expire_files(sessions: async_sessionmaker[AsyncSession], settings: RunnerSettings) -> int:
    """Removes the files of SUCCESS runs older than their retention and sets `expired_at`."""
    retention_days = func.coalesce(Report.retention_days, settings.output_retention_days)
    due = (
        select(ReportRun.id, ReportRun.output_path)
        .join(Report, Report.id == ReportRun.report_id)
        .where(
            ReportRun.status == RunStatus.SUCCESS,
            ReportRun.output_path.is_not(None),
            ReportRun.expired_at.is_(None),
            ReportRun.finished_at < func.now() - retention_days * ONE_DAY,
        )
        .order_by(ReportRun.finished_at)
        .limit(settings.retention_batch_size)
        .with_for_update(of=ReportRun, skip_locked=True)
    )
    expired = 0
    while True:
        async with sessions.begin() as session:
            runs = (await session.execute(due)).all()
            if not runs:
                return expired
            paths = [str(run.output_path) for run in runs]
            await asyncio.to_thread(remove_recorded_files, settings.output_dir, paths)
            await session.execute(
                update(ReportRun)
                .where(ReportRun.id.in_([run.id for run in runs]))
                .values(expired_at=func.now())
            )
        expired += len(runs)


async def delete_history(
    sessions: async_sessionmaker[AsyncSession], settings: RunnerSettings
) -> int:
    """Finished runs older than HISTORY_RETENTION_DAYS, their ledger rows (ON DELETE CASCADE)
    and any file they still kept; nothing when the setting is unset."""
    if settings.history_retention_days is None:
        return 0
    old = (
        select(ReportRun.id)
        .where(
            ReportRun.status.in_(FINISHED_STATUSES),
            ReportRun.finished_at < func.now() - timedelta(days=settings.history_retention_days),
        )
        .limit(settings.retention_batch_size)
        .with_for_update(skip_locked=True)
    )
    deleted = 0
    while True:
        async with sessions.begin() as session:
            ids = list((await session.scalars(old)).all())
            if not ids:
                return deleted
            gone = await session.execute(
                delete(ReportRun)
                .where(ReportRun.id.in_(ids))
                .returning(ReportRun.output_path, ReportRun.expired_at)
            )
            paths = [run.output_path for run in gone if run.output_path and not run.expired_at]
            await asyncio.to_thread(remove_recorded_files, settings.output_dir, paths)
        deleted += len(ids)


async def remove_orphans(
    sessions: async_sessionmaker[AsyncSession], settings: RunnerSettings
) -> int:
    """Files in OUTPUT_DIR that no run keeps any more (their report or run was deleted)."""
    candidates = await asyncio.to_thread(
        unclaimed_candidates, settings.output_dir, settings.orphan_file_grace_seconds
    )
    removed = 0
    batch = settings.retention_batch_size
    for start in range(0, len(candidates), batch):
        names = candidates[start : start + batch]
        async with sessions.begin() as session:
            kept = set(
                (
                    await session.scalars(
                        select(RECORDED_NAME).where(
                            ReportRun.output_path.is_not(None),
                            ReportRun.expired_at.is_(None),
                            RECORDED_NAME.in_(names),
                        )
                    )
                ).all()
            )
        orphans = [name for name in names if name not in kept]
        await asyncio.to_thread(remove_unclaimed, settings.output_dir, orphans)
        removed += len(orphans)
    return removed


async def sweep_once(sessions: async_sessionmaker[AsyncSession], settings: RunnerSettings) -> Swept:
    return Swept(
        await expire_files(sessions, settings),
        await delete_history(sessions, settings),
        await remove_orphans(sessions, settings),
    )


async def run_retention(
    sessions: async_sessionmaker[AsyncSession], settings: RunnerSettings, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            swept = await sweep_once(sessions, settings)
        except Exception:
            log.exception("retention sweep failed; retrying at the next interval")
        else:
            if swept.expired_files or swept.deleted_runs or swept.orphan_files:
                log.info(
                    "retention: %d files expired, %d old runs deleted, %d orphan files removed",
                    swept.expired_files,
                    swept.deleted_runs,
                    swept.orphan_files,
                )
        await wait_for_stop(stop, settings.retention_interval_seconds)
