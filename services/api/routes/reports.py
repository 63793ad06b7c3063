"""Routes for report definitions: list, create, read, update, delete."""

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api import audit
from services.api.channel_rules import sealed_channels
from services.api.dependencies import CallerDep, ReportDep, SessionDep, SettingsDep, SqlCheckerDep
from services.api.errors import REPORT_NOT_FOUND, FieldError, Forbidden, NotFound
from services.api.parameter_rules import (
    checked_declarations,
    require_defaults_when_scheduled,
    statement_to_check,
)
from services.api.report_rules import checked_report_fields
from services.api.report_views import report_view, report_views
from services.api.schemas import (
    NULLABLE_REPORT_FIELDS,
    ReportCreate,
    ReportOut,
    ReportUpdate,
)
from services.api.sql_check import SqlChecker
from shared.export_formats import compression_problem
from shared.models import Compression, OutputFormat, Report, Role, User
from shared.report_parameters.declarations import Declaration
from shared.sql_guard import InvalidReportSql, normalize_report_sql

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("")
async def list_reports(session: SessionDep) -> list[ReportOut]:
    reports = (await session.scalars(select(Report).order_by(Report.name))).all()
    return await report_views(session, reports)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "A report with that name exists"}},
)
async def create_report(
    body: ReportCreate,
    caller: CallerDep,
    session: SessionDep,
    sql_checker: SqlCheckerDep,
    settings: SettingsDep,
) -> ReportOut:
    """The caller owns the new report."""
    _check_compression(body.output_format, body.compression)
    fields = checked_report_fields(body.model_dump(mode="json"), settings)
    declarations = checked_declarations(fields["parameters"])
    fields["parameters"] = [declaration.stored() for declaration in declarations]
    require_defaults_when_scheduled(body.schedule_cron, declarations)
    fields["channels"] = await sealed_channels(fields["channels"], settings)
    fields["sql_query"] = await _checked_sql(sql_checker, body.sql_query, declarations)
    await _ensure_name_free(session, body.name, None)
    report = Report(**fields, owner_id=caller.user_id)
    session.add(report)
    await _flush_or_conflict(session, body.name)
    await session.refresh(report)
    audit.record(session, caller, "report.created", "report", report.id, {"name": report.name})
    return await report_view(session, report)


@router.get("/{report_id}", responses=REPORT_NOT_FOUND)
async def get_report(report: ReportDep, session: SessionDep) -> ReportOut:
    return await report_view(session, report)


@router.put("/{report_id}", responses=REPORT_NOT_FOUND)
async def update_report(
    report: ReportDep,
    body: ReportUpdate,
    caller: CallerDep,
    session: SessionDep,
    sql_checker: SqlCheckerDep,
    settings: SettingsDep,
) -> ReportOut:
    """Partial update: only the fields sent change (`{"is_active": false}` pauses a report);
    an admin hands it to another owner with `owner_id`."""
    changes = checked_report_fields(_changes(body), settings)
    if "channels" in changes:
        changes["channels"] = await sealed_channels(changes["channels"], settings)
    if body.owner_id is not None:
        await _check_new_owner(session, caller.role, body.owner_id)
    await _check_parameter_changes(changes, report, sql_checker)
    report = await _locked(session, report.id)
    before = {field: _stored_value(getattr(report, field)) for field in changes}
    if body.name is not None:
        await _ensure_name_free(session, body.name, report.id)
    _check_compression(
        body.output_format or report.output_format, body.compression or report.compression
    )
    for field, value in changes.items():
        setattr(report, field, body.owner_id if field == "owner_id" else value)
    await _flush_or_conflict(session, report.name)
    await session.refresh(report)
    details = audit.field_changes(before, changes)
    if details:
        audit.record(session, caller, "report.changed", "report", report.id, details)
    return await report_view(session, report)


@router.delete("/{report_id}", status_code=status.HTTP_204_NO_CONTENT, responses=REPORT_NOT_FOUND)
async def delete_report(report: ReportDep, caller: CallerDep, session: SessionDep) -> None:
    """Deletes the report and its run history; the runner's retention sweep removes its files
    (services/runner/retention.py), wherever the API runs."""
    audit.record(session, caller, "report.deleted", "report", report.id, {"name": report.name})
    await session.delete(report)


def _stored_value(value: object) -> object:
    """As the audit log's JSON holds it (and as `_changes` gives the new value)."""
    return str(value) if isinstance(value, uuid.UUID) else value


async def _check_new_owner(session: AsyncSession, caller_role: Role, owner_id: uuid.UUID) -> None:
    if caller_role != Role.ADMIN:
        raise Forbidden("only an admin may hand a report to another owner")
    owner = await session.get(User, owner_id)
    if owner is None or not owner.is_active or owner.role == Role.VIEWER:
        raise FieldError(
            422, "owner_id", "the new owner must be an active editor or admin", "invalid_owner"
        )


def _changes(body: ReportUpdate) -> dict[str, Any]:
    """The fields sent, as stored; null only where a report may have none."""
    changes = body.model_dump(mode="json", exclude_unset=True)
    for field, value in changes.items():
        if value is None and field not in NULLABLE_REPORT_FIELDS:
            raise FieldError(422, field, f"{field} cannot be null", "null_not_allowed")
    return changes


async def _locked(session: AsyncSession, report_id: uuid.UUID) -> Report:
    """The report re-read under a row lock, taken only after the SQL check: the data source's
    answer may be slow, and the lock holds up the scheduler's reads of this report."""
    report = await session.get(Report, report_id, with_for_update=True, populate_existing=True)
    if report is None:
        raise NotFound("report", report_id)
    return report


def _check_compression(output_format: OutputFormat, compression: Compression) -> None:
    problem = compression_problem(output_format, compression)
    if problem is not None:
        raise FieldError(422, "compression", problem, "unsupported_compression")


async def _check_parameter_changes(
    changes: dict[str, Any], report: Report, sql_checker: SqlChecker
) -> None:
    """The SQL, its parameters and the schedule are checked together when any of them
    changes: a placeholder must stay declared, and a scheduled report needs defaults."""
    if not {"sql_query", "parameters", "schedule_cron"} & changes.keys():
        return
    declarations = checked_declarations(changes.get("parameters", report.parameters))
    if "parameters" in changes:
        changes["parameters"] = [declaration.stored() for declaration in declarations]
    require_defaults_when_scheduled(
        changes.get("schedule_cron", report.schedule_cron), declarations
    )
    if {"sql_query", "parameters"} & changes.keys():
        sql = await _checked_sql(
            sql_checker, changes.get("sql_query", report.sql_query), declarations
        )
        if "sql_query" in changes:
            changes["sql_query"] = sql


async def _checked_sql(
    sql_checker: SqlChecker, sql: str, declarations: Sequence[Declaration]
) -> str:
    """The SQL as stored (placeholders kept), once PostgreSQL prepared it as the runner will
    run it (placeholders as typed references)."""
    try:
        normalized = normalize_report_sql(sql)
        await sql_checker.check(statement_to_check(normalized, declarations))
    except InvalidReportSql as error:
        raise FieldError(422, "sql_query", str(error), "invalid_sql") from error
    return normalized


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
