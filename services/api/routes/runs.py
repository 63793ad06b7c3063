"""Routes for runs: start one, its history, one run, its file."""

import asyncio
import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import func, select

from services.api.dependencies import RuntimeDep
from services.api.errors import not_found
from services.api.run_views import integrity_headers, run_view
from services.api.runtime import Runtime
from services.api.schemas import NotificationOut, RunOut
from shared.models import NotificationLog, Report, ReportRun, RunStatus, RunTrigger
from shared.output_files import output_media_type, stored_output_path
from shared.run_queue import queue_run

router = APIRouter(tags=["runs"])

WAIT_POLL_SECONDS = 0.1
MAX_OFFSET = 1_000_000_000


@router.post(
    "/api/reports/{report_id}/run",
    response_model=RunOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"description": "The run finished within `wait` seconds"},
        404: {"description": "No report with that id"},
    },
)
async def start_run(
    report_id: uuid.UUID,
    runtime: RuntimeDep,
    response: Response,
    wait: Annotated[float, Query(ge=0, description="Seconds to wait for the run to finish")] = 0,
) -> Any:
    """Queues a manual run (202). With `wait=N`, answers once it finished (200) or after N s."""
    async with runtime.sessions.begin() as session:
        run = await queue_run(session, report_id, RunTrigger.MANUAL)
    if run is None:
        return not_found("report", report_id)
    runtime.relay.wake()
    if wait > 0:
        waited = await _wait_until_finished(
            runtime, run.id, min(wait, runtime.settings.max_run_wait_seconds)
        )
        if waited is None:
            return not_found("run (its report was deleted meanwhile)", run.id)
        run = waited
    if run.status.is_finished:
        response.status_code = status.HTTP_200_OK
    return run_view(run)


async def _wait_until_finished(
    runtime: Runtime, run_id: uuid.UUID, seconds: float
) -> ReportRun | None:
    """The run once finished or when `seconds` are up; None if it was deleted meanwhile."""
    deadline = time.monotonic() + seconds
    while True:
        async with runtime.sessions.begin() as session:
            run = await session.get(ReportRun, run_id)
        if run is None or run.status.is_finished or time.monotonic() >= deadline:
            return run
        await asyncio.sleep(WAIT_POLL_SECONDS)


@router.get(
    "/api/reports/{report_id}/runs",
    response_model=list[RunOut],
    responses={404: {"description": "No report with that id"}},
)
async def list_runs(
    report_id: uuid.UUID,
    runtime: RuntimeDep,
    response: Response,
    status_filter: Annotated[RunStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """Newest first. The total number of matching runs is in the `X-Total-Count` header."""
    async with runtime.sessions.begin() as session:
        if await session.get(Report, report_id) is None:
            return not_found("report", report_id)
        condition = ReportRun.report_id == report_id
        if status_filter is not None:
            condition = condition & (ReportRun.status == status_filter)
        total = await session.scalar(select(func.count()).select_from(ReportRun).where(condition))
        runs = (
            await session.scalars(
                select(ReportRun)
                .where(condition)
                .order_by(ReportRun.queued_at.desc(), ReportRun.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
    response.headers["X-Total-Count"] = str(total)
    return [run_view(run) for run in runs]


@router.get(
    "/api/runs/{run_id}",
    response_model=RunOut,
    responses={404: {"description": "No run with that id"}},
)
async def get_run(run_id: uuid.UUID, runtime: RuntimeDep) -> Any:
    async with runtime.sessions.begin() as session:
        run = await session.get(ReportRun, run_id)
    return not_found("run", run_id) if run is None else run_view(run)


@router.get(
    "/api/runs/{run_id}/notifications",
    response_model=list[NotificationOut],
    responses={404: {"description": "No run with that id"}},
)
async def list_run_notifications(run_id: uuid.UUID, runtime: RuntimeDep) -> Any:
    """The run's notification log: its LOG line and one row per e-mail recipient."""
    async with runtime.sessions.begin() as session:
        if await session.get(ReportRun, run_id) is None:
            return not_found("run", run_id)
        notifications = (
            await session.scalars(
                select(NotificationLog)
                .where(NotificationLog.run_id == run_id)
                .order_by(
                    NotificationLog.created_at, NotificationLog.channel, NotificationLog.recipient
                )
            )
        ).all()
    return [NotificationOut.model_validate(row) for row in notifications]


@router.get(
    "/api/runs/{run_id}/download",
    response_class=FileResponse,
    responses={
        200: {"description": "The run's output file"},
        404: {"description": "No run with that id"},
        409: {"description": "The run has no file (not finished, or failed)"},
        410: {"description": "The file was removed from the output directory"},
    },
)
async def download_run_output(run_id: uuid.UUID, runtime: RuntimeDep) -> Response:
    async with runtime.sessions.begin() as session:
        run = await session.get(ReportRun, run_id)
    if run is None:
        return not_found("run", run_id)
    if run.status != RunStatus.SUCCESS or not run.output_path:
        reason = (
            f"the run failed, so there is no file: {run.error_message}"
            if run.status == RunStatus.FAILED
            else f"the run is {run.status}; its file is not ready yet"
        )
        return JSONResponse({"detail": reason}, status.HTTP_409_CONFLICT)
    # Only the file name is taken from the record: the file is always read from OUTPUT_DIR.
    path = stored_output_path(runtime.settings.output_dir, run.output_path)
    filename = path.name
    if not await asyncio.to_thread(path.is_file):
        return JSONResponse(
            {"detail": f"the file {filename} is no longer in the output directory"},
            status.HTTP_410_GONE,
        )
    return FileResponse(
        path,
        media_type=output_media_type(filename),
        filename=filename,
        headers=integrity_headers(run.sha256),
    )
