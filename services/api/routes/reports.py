"""Routes for report definitions: list, create, read, update, delete."""

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.dependencies import RuntimeDep
from services.api.errors import FieldError, not_found
from services.api.report_views import report_view, report_views
from services.api.runtime import Runtime
from services.api.schemas import (
    NULLABLE_REPORT_FIELDS,
    ReportCreate,
    ReportOut,
    ReportUpdate,
)
from shared.export_formats import compression_problem
from shared.models import Compression, OutputFormat, Report
from shared.sql_guard import InvalidReportSql

router = APIRouter(prefix="/api/reports", tags=["reports"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No report with that id"}}


@router.get("", response_model=list[ReportOut])
async def list_reports(runtime: RuntimeDep) -> list[ReportOut]:
    async with runtime.sessions.begin() as session:
        reports = (await session.scalars(select(Report).order_by(Report.name))).all()
        return await report_views(session, reports)


@router.post(
    "",
    response_model=ReportOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "A report with that name exists"}},
)
async def create_report(body: ReportCreate, runtime: RuntimeDep) -> ReportOut:
    _check_compression(body.output_format, body.compression)
    fields = body.model_dump(mode="json")
    fields["sql_query"] = await _checked_sql(runtime, body.sql_query)
    async with runtime.sessions.begin() as session:
        await _ensure_name_free(session, body.name, None)
        report = Report(**fields)
        session.add(report)
        await _flush_or_conflict(session, body.name)
        await session.refresh(report)
        return await report_view(session, report)


@router.get("/{report_id}", response_model=ReportOut, responses=NOT_FOUND)
async def get_report(report_id: uuid.UUID, runtime: RuntimeDep) -> Any:
    async with runtime.sessions.begin() as session:
        report = await session.get(Report, report_id)
        if report is None:
            return not_found("report", report_id)
        return await report_view(session, report)


@router.put("/{report_id}", response_model=ReportOut, responses=NOT_FOUND)
async def update_report(report_id: uuid.UUID, body: ReportUpdate, runtime: RuntimeDep) -> Any:
    """Partial update: only the fields sent change (`{"is_active": false}` pauses a report)."""
    changes = body.model_dump(mode="json", exclude_unset=True)
    for field, value in changes.items():
        if value is None and field not in NULLABLE_REPORT_FIELDS:
            raise FieldError(422, field, f"{field} cannot be null", "null_not_allowed")
    if body.sql_query is not None:
        changes["sql_query"] = await _checked_sql(runtime, body.sql_query)
    async with runtime.sessions.begin() as session:
        report = await session.get(Report, report_id, with_for_update=True)
        if report is None:
            return not_found("report", report_id)
        if body.name is not None:
            await _ensure_name_free(session, body.name, report_id)
        _check_compression(
            body.output_format or report.output_format, body.compression or report.compression
        )
        for field, value in changes.items():
            setattr(report, field, value)
        await _flush_or_conflict(session, report.name)
        await session.refresh(report)
        return await report_view(session, report)


@router.delete("/{report_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_report(report_id: uuid.UUID, runtime: RuntimeDep) -> Response:
    """Deletes the report and its run history; files already exported stay on disk."""
    async with runtime.sessions.begin() as session:
        report = await session.get(Report, report_id)
        if report is None:
            return not_found("report", report_id)
        await session.delete(report)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _check_compression(output_format: OutputFormat, compression: Compression) -> None:
    problem = compression_problem(output_format, compression)
    if problem is not None:
        raise FieldError(422, "compression", problem, "unsupported_compression")


async def _checked_sql(runtime: Runtime, sql: str) -> str:
    try:
        return await runtime.sql_checker.check(sql)
    except InvalidReportSql as error:
        raise FieldError(422, "sql_query", str(error), "invalid_sql") from error


async def _ensure_name_free(session: AsyncSession, name: str, own_id: uuid.UUID | None) -> None:
    existing = await session.scalar(select(Report.id).where(Report.name == name))
    if existing is not None and existing != own_id:
        raise FieldError(409, "name", f"a report named {name!r} already exists", "duplicate")


async def _flush_or_conflict(session: AsyncSession, name: str) -> None:
    """The unique index decides when two requests race for the same name."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise FieldError(
            409, "name", f"a report named {name!r} already exists", "duplicate"
        ) from error
