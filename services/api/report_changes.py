"""Changing a report's definition, one use case for every route that does (update, restore):
checks, the row lock, the unique name, and a new numbered version in the audit log."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api import audit
from services.api.authentication import Caller
from services.api.errors import FieldError, NotFound
from services.api.parameter_rules import (
    checked_declarations,
    require_defaults_when_scheduled,
    statement_to_check,
)
from services.api.sql_check import SqlChecker
from services.api.template_rules import TEMPLATE_INPUTS, check_templates
from shared.events import utc_now
from shared.export_formats import compression_problem
from shared.models import AuditEntry, Compression, OutputFormat, Report
from shared.report_parameters.declarations import Declaration
from shared.report_parameters.resolution import position_in_report_sql
from shared.sql_guard import InvalidReportSql, normalize_report_sql

# The fields a version holds: the definition, not its owner (an admin's hand-over is audited
# as a version too, but a restore never changes the owner), nor its channels, whose URLs and
# secrets are never written to the audit log (a restore leaves them as they are).
DEFINITION_FIELDS = (
    "name",
    "description",
    "sql_query",
    "schedule_cron",
    "timezone",
    "output_format",
    "compression",
    "is_active",
    "recipients",
    "notify_on",
    "csv_formula_guard",
    "parameters",
    "empty_result",
    "failure_notice_recipients",
    "deliver_if",
    "inline_rows",
    "only_if_changed",
    "subject_template",
    "body_template",
    "file_name_template",
    "retention_days",
    "timeout_seconds",
    "max_retries",
    "retry_delay_seconds",
    "overlap",
)


def stored_value(value: object) -> object:
    """As the audit log's JSON holds it (and as a request's JSON gives the new value)."""
    return str(value) if isinstance(value, uuid.UUID) else value


def definition_of(report: Report) -> dict[str, Any]:
    return {field: stored_value(getattr(report, field)) for field in DEFINITION_FIELDS}


async def next_version(session: AsyncSession, report_id: uuid.UUID) -> int:
    """Called under the report's row lock, so two changes cannot take the same number (and the
    unique index would refuse it if they did)."""
    latest = await session.scalar(
        select(func.max(AuditEntry.version)).where(AuditEntry.subject_id == report_id)
    )
    return (latest or 0) + 1


async def record_version(
    session: AsyncSession,
    caller: Caller,
    action: str,
    report_id: uuid.UUID,
    details: dict[str, Any],
) -> None:
    version = await next_version(session, report_id)
    audit.record(session, caller, action, "report", report_id, details, version=version)


async def change_report(
    session: AsyncSession,
    caller: Caller,
    sql_checker: SqlChecker,
    report_id: uuid.UUID,
    changes: dict[str, Any],
    action: str = "report.changed",
    note: dict[str, Any] | None = None,
) -> Report:
    """Applies `changes` (field → value as JSON gives it; checked for limits by the caller) and
    records a version when anything differs."""
    current = await session.get(Report, report_id)
    if current is None:
        raise NotFound("report", report_id)
    changes = await checked_definition_changes(changes, current, sql_checker)
    if TEMPLATE_INPUTS & changes.keys():
        check_templates(definition_of(current) | changes, utc_now())
    report = await locked(session, report_id)
    before = {field: stored_value(getattr(report, field)) for field in changes}
    if "name" in changes:
        await ensure_name_free(session, changes["name"], report.id)
    check_compression(
        OutputFormat(changes.get("output_format", report.output_format)),
        Compression(changes.get("compression", report.compression)),
    )
    for field, value in changes.items():
        setattr(report, field, uuid.UUID(value) if field == "owner_id" else value)
    await flush_or_conflict(session, report.name)
    await session.refresh(report)
    details = audit.field_changes(before, changes)
    if details:
        await record_version(session, caller, action, report.id, {**details, **(note or {})})
    return report


async def locked(session: AsyncSession, report_id: uuid.UUID) -> Report:
    """The report re-read under a row lock, taken only after the SQL check: the data source's
    answer may be slow, and the lock holds up the scheduler's reads of this report."""
    report = await session.get(Report, report_id, with_for_update=True, populate_existing=True)
    if report is None:
        raise NotFound("report", report_id)
    return report


def check_compression(output_format: OutputFormat, compression: Compression) -> None:
    problem = compression_problem(output_format, compression)
    if problem is not None:
        raise FieldError(422, "compression", problem, "unsupported_compression")


async def checked_new_definition(fields: dict[str, Any], sql_checker: SqlChecker) -> dict[str, Any]:
    """A new report's parameters, schedule and SQL, checked together."""
    declarations = checked_declarations(fields["parameters"])
    require_defaults_when_scheduled(fields["schedule_cron"], declarations)
    sql = await checked_sql(sql_checker, fields["sql_query"], declarations)
    check_templates(fields, utc_now())
    return {
        **fields,
        "parameters": [declaration.stored() for declaration in declarations],
        "sql_query": sql,
    }


async def checked_definition_changes(
    changes: dict[str, Any], report: Report, sql_checker: SqlChecker
) -> dict[str, Any]:
    """The SQL, its parameters and the schedule are checked together when any of them
    changes: a placeholder must stay declared, and a scheduled report needs defaults."""
    if not {"sql_query", "parameters", "schedule_cron"} & changes.keys():
        return changes
    checked = dict(changes)
    declarations = checked_declarations(changes.get("parameters", report.parameters))
    if "parameters" in changes:
        checked["parameters"] = [declaration.stored() for declaration in declarations]
    require_defaults_when_scheduled(
        changes.get("schedule_cron", report.schedule_cron), declarations
    )
    if {"sql_query", "parameters"} & changes.keys():
        sql = await checked_sql(
            sql_checker, changes.get("sql_query", report.sql_query), declarations
        )
        if "sql_query" in changes:
            checked["sql_query"] = sql
    return checked


async def checked_sql(
    sql_checker: SqlChecker, sql: str, declarations: Sequence[Declaration]
) -> str:
    """The SQL as stored (placeholders kept), once PostgreSQL prepared it as the runner will
    run it (placeholders as typed references)."""
    try:
        normalized = normalize_report_sql(sql)
        await sql_checker.check(statement_to_check(normalized, declarations))
    except InvalidReportSql as error:
        if error.position is not None:
            error = error.at(position_in_report_sql(normalized, declarations, error.position))
        raise FieldError(422, "sql_query", str(error), "invalid_sql") from error
    return normalized


async def ensure_name_free(session: AsyncSession, name: str, own_id: uuid.UUID | None) -> None:
    existing = await session.scalar(select(Report.id).where(Report.name == name))
    if existing is not None and existing != own_id:
        raise FieldError(409, "name", f"a report named {name!r} already exists", "duplicate")


async def flush_or_conflict(session: AsyncSession, name: str) -> None:
    """The unique index decides when two requests race for the same name."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise FieldError(
            409, "name", f"a report named {name!r} already exists", "duplicate"
        ) from error
