"""Routes for runs: start one, its history, one run, its notifications, its file."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
    BadLinkSignature,
    Conflict,
    FieldError,
    LinkExpired,
    NotFound,
    RunFileRemoved,
    RunHasNoFile,
    documented,
)
from services.api.parameter_rules import requested_values
from services.api.report_rules import checked_report_fields
from services.api.run_views import integrity_headers, run_view
from services.api.schemas import NotificationOut, ResendOut, ResendRequest, RunOut, RunRequest
from services.api.settings import ApiSettings
from shared.download_links import SIGNATURE_HEX_CHARS, LinkCheck, check_download_link
from shared.events import ResendRequested, utc_now
from shared.models import NotificationLog, Report, ReportRun, RunStatus
from shared.outbox import add_event
from shared.output_files import output_media_type, stored_output_path

router = APIRouter(tags=["runs"])

MAX_OFFSET = 1_000_000_000
# 9999-12-31T23:59:59Z, the last moment a datetime can hold.
LAST_UNIX_SECOND = 253_402_300_799


@router.post(
    "/api/reports/{report_id}/run",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"description": "The run finished within `wait` seconds"},
        422: {
            "description": "A parameter value of the wrong type, an unknown parameter, or "
            "one without a default that the body does not give (`loc` names it)"
        },
        **REPORT_NOT_FOUND,
    },
)
async def start_run(
    report: ReportDep,
    caller: CallerDep,
    run_queue: RunQueueDep,
    session: SessionDep,
    waiter: RunWaiterDep,
    response: Response,
    wait: Annotated[float, Query(ge=0, description="Seconds to wait for the run to finish")] = 0,
    body: RunRequest | None = None,
) -> RunOut:
    """Queues a manual run (202). With `wait=N`, answers once it finished (200) or after N s.

    The body is optional: `{"parameters": {"n": 5}}` overrides parameter defaults for this run.
    The run answer's `parameters` holds the values it ran with once a runner claimed it."""
    requested = requested_values(report.parameters, body.parameters if body else {})
    run = await run_queue.queue_manual_run(report, requested)
    details: dict[str, object] = {"run_id": str(run.id)}
    if requested:
        details["parameters"] = requested
    audit.record(session, caller, "report.run", "report", report.id, details)
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


FILE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "The run's output file"},
    **RUN_NOT_FOUND,
    409: documented("The run has no file (not finished, or failed)"),
}


@router.get(
    "/api/runs/{run_id}/download",
    response_class=FileResponse,
    responses={
        **FILE_ANSWERS,
        410: documented("The file expired (retention) or was removed from the output directory"),
    },
)
async def download_run_output(run: RunDep, settings: SettingsDep) -> FileResponse:
    return await _output_file(run, settings)


@router.get(
    "/api/runs/{run_id}/signed-download",
    response_class=FileResponse,
    responses={
        **FILE_ANSWERS,
        403: documented("The signature does not match this run and expiry"),
        410: documented("The link expired, or the file was removed from the output directory"),
    },
)
async def download_by_signed_link(
    run_id: uuid.UUID,
    expires: Annotated[int, Query(ge=0, le=LAST_UNIX_SECOND, description="Unix seconds")],
    signature: Annotated[
        str, Query(min_length=SIGNATURE_HEX_CHARS, max_length=SIGNATURE_HEX_CHARS)
    ],
    session: SessionDep,
    settings: SettingsDep,
) -> FileResponse:
    """The link in a run's mail: no account needed, only the signature it was mailed with,
    until it expires (DOWNLOAD_LINK_TTL_HOURS after the mail was made)."""
    match check_download_link(settings.signing_key, run_id, expires, signature, utc_now()):
        case LinkCheck.BAD_SIGNATURE:
            raise BadLinkSignature()
        case LinkCheck.EXPIRED:
            expired_at = datetime.fromtimestamp(expires, UTC).isoformat()
            raise LinkExpired(
                f"the download link expired at {expired_at}; ask for the report to be sent again"
            )
    run = await session.get(ReportRun, run_id)
    if run is None:
        raise NotFound("run", run_id)
    return await _output_file(run, settings)


async def _output_file(run: ReportRun, settings: ApiSettings) -> FileResponse:
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
    if run.expired_at is not None:
        raise RunFileRemoved(
            f"the file {filename} expired and was removed on {run.expired_at:%Y-%m-%d %H:%M} UTC "
            "(output retention); the run's record is kept"
        )
    if not await asyncio.to_thread(path.is_file):
        raise RunFileRemoved(f"the file {filename} is no longer in the output directory")
    return FileResponse(
        path,
        media_type=output_media_type(filename),
        filename=filename,
        headers=integrity_headers(run.sha256),
    )


@router.post(
    "/api/runs/{run_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **RUN_NOT_FOUND,
        409: documented(
            "The run has no file to send (it failed, or its file expired), or its report has "
            "no recipients or channels and none were named"
        ),
    },
)
async def resend_run(
    run: RunDep,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    body: ResendRequest | None = None,
) -> ResendOut:
    """Delivers the run's stored file again, without running the query: to `recipients` when
    given (each allowed by the same rules as a report's recipients), otherwise to the report's
    recipients and channels. Each resend gets notification rows of its own (`resend_id`, a
    fresh Message-ID), each delivered at most once; see GET /api/runs/{id}/notifications."""
    await _ensure_file(run, settings)
    recipients = None if body is None else body.recipients
    if recipients is not None:
        if not recipients:
            raise FieldError(422, "recipients", "name at least one recipient, or omit it", "empty")
        recipients = checked_report_fields({"recipients": recipients}, settings)["recipients"]
    else:
        await _ensure_targets(session, run.report_id)
    resend_id = uuid.uuid4()
    add_event(session, ResendRequested(run_id=run.id, resend_id=resend_id, recipients=recipients))
    audit.record(
        session,
        caller,
        "run.resent",
        "run",
        run.id,
        {"resend_id": str(resend_id), "recipients": recipients},
    )
    return ResendOut(run_id=run.id, resend_id=resend_id, recipients=recipients)


async def _ensure_targets(session: AsyncSession, report_id: uuid.UUID) -> None:
    """A resend to the report's own targets needs some: otherwise it would be accepted and
    deliver nothing."""
    report = await session.get(Report, report_id)
    if report is not None and not report.recipients and not report.channels:
        raise Conflict("the report has no recipients or channels; name recipients to resend to")


async def _ensure_file(run: ReportRun, settings: ApiSettings) -> None:
    if run.status != RunStatus.SUCCESS or not run.output_path:
        raise RunHasNoFile(f"the run is {run.status}; it has no file to send")
    path = stored_output_path(settings.output_dir, run.output_path)
    if not await asyncio.to_thread(path.is_file):
        raise RunHasNoFile(f"the file {path.name} is no longer in the output directory")
