"""Routes for runs: start one, its history, one run, its notifications, its file."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import FileResponse
from sqlalchemy import func, select

from services.api import audit
from services.api.dependencies import (
    CallerDep,
    ReportDep,
    RunDep,
    RunQueueDep,
    RunWaiterDep,
    SessionDep,
    SettingsDep,
)
from services.api.errors import (
    REPORT_NOT_FOUND,
    RUN_NOT_FOUND,
    NotFound,
    RunFileRemoved,
    RunHasNoFile,
    documented,
)
from services.api.run_views import integrity_headers, run_view
from services.api.schemas import NotificationOut, RunOut
from shared.models import NotificationLog, ReportRun, RunStatus
from shared.output_files import output_media_type, stored_output_path

router = APIRouter(tags=["runs"])

MAX_OFFSET = 1_000_000_000


@router.post(
    "/api/reports/{report_id}/run",
    status_code=status.HTTP_202_ACCEPTED,
    responses={200: {"description": "The run finished within `wait` seconds"}, **REPORT_NOT_FOUND},
)
async def start_run(
    report: ReportDep,
    caller: CallerDep,
    run_queue: RunQueueDep,
    session: SessionDep,
    waiter: RunWaiterDep,
    response: Response,
    wait: Annotated[float, Query(ge=0, description="Seconds to wait for the run to finish")] = 0,
) -> RunOut:
    """Queues a manual run (202). With `wait=N`, answers once it finished (200) or after N s."""
    run = await run_queue.queue_manual_run(report)
    audit.record(session, caller, "report.run", "report", report.id, {"run_id": str(run.id)})
    if wait > 0:
        await session.commit()  # a runner can only claim the run once it is committed
        waited = await waiter.until_finished(run.id, wait)
        if waited is None:
            raise NotFound("run (its report was deleted meanwhile)", run.id)
        run = waited
    if run.status.is_finished:
        response.status_code = status.HTTP_200_OK
    return run_view(run)


@router.get("/api/reports/{report_id}/runs", responses=REPORT_NOT_FOUND)
async def list_runs(
    report: ReportDep,
    session: SessionDep,
    response: Response,
    status_filter: Annotated[RunStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[RunOut]:
    """Newest first. The total number of matching runs is in the `X-Total-Count` header."""
    condition = ReportRun.report_id == report.id
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


@router.get("/api/runs/{run_id}", responses=RUN_NOT_FOUND)
async def get_run(run: RunDep) -> RunOut:
    return run_view(run)


@router.post(
    "/api/runs/{run_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**RUN_NOT_FOUND, 409: documented("The run already ended")},
)
async def cancel_run(
    run: RunDep, caller: CallerDep, run_queue: RunQueueDep, session: SessionDep
) -> RunOut:
    """Cancels a QUEUED or RUNNING run (202): a QUEUED run is CANCELLED at once; a RUNNING one
    is stopped by its runner within seconds (its query cancelled, its partial file removed),
    then CANCELLED. Recipients are not mailed. A run that already ended answers 409."""
    status_before = run.status
    result = await run_queue.cancel(run)
    audit.record(
        session,
        caller,
        "run.cancelled",
        "run",
        run.id,
        {"report_id": str(run.report_id), "status": status_before.value, "result": result.value},
    )
    return run_view(run)


@router.get("/api/runs/{run_id}/notifications", responses=RUN_NOT_FOUND)
async def list_run_notifications(run: RunDep, session: SessionDep) -> list[NotificationOut]:
    """The run's notification log: its LOG line and one row per e-mail recipient."""
    notifications = (
        await session.scalars(
            select(NotificationLog)
            .where(NotificationLog.run_id == run.id)
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
        **RUN_NOT_FOUND,
        409: documented("The run has no file (not finished, or failed, cancelled or skipped)"),
        410: documented("The file was removed from the output directory"),
    },
)
async def download_run_output(run: RunDep, settings: SettingsDep) -> FileResponse:
    if run.status != RunStatus.SUCCESS or not run.output_path:
        raise RunHasNoFile(
            f"the run failed, so there is no file: {run.error_message}"
            if run.status == RunStatus.FAILED
            else f"the run is {run.status}, so there is no file: {run.error_message}"
            if run.status.is_finished
            else f"the run is {run.status}; its file is not ready yet"
        )
    # Only the file name is taken from the record: the file is always read from OUTPUT_DIR.
    path = stored_output_path(settings.output_dir, run.output_path)
    filename = path.name
    if not await asyncio.to_thread(path.is_file):
        raise RunFileRemoved(f"the file {filename} is no longer in the output directory")
    return FileResponse(
        path,
        media_type=output_media_type(filename),
        filename=filename,
        headers=integrity_headers(run.sha256),
    )
