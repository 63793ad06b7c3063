"""Routes for report definitions: list, create, read, update, delete."""

import uuid
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.api import audit
from services.api.channel_rules import sealed_channels
from services.api.dependencies import CallerDep, ReportDep, SessionDep, SettingsDep, SqlCheckerDep
from services.api.errors import REPORT_NOT_FOUND, FieldError, Forbidden
from services.api.report_changes import (
    change_report,
    check_compression,
    checked_new_definition,
    definition_of,
    ensure_name_free,
    flush_or_conflict,
    record_version,
)
from services.api.report_rules import checked_report_fields
from services.api.report_views import report_view, report_views
from services.api.schemas import (
    NULLABLE_REPORT_FIELDS,
    ReportCreate,
    ReportOut,
    ReportUpdate,
)
from shared.models import Report, Role, User

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
    """The caller owns the new report: its version 1 holds every field."""
    check_compression(body.output_format, body.compression)
    fields = checked_report_fields(body.model_dump(mode="json"), settings)
    fields = await checked_new_definition(fields, sql_checker)
    fields["channels"] = await sealed_channels(fields["channels"], settings)
    await ensure_name_free(session, body.name, None)
    report = Report(**fields, owner_id=caller.user_id)
    session.add(report)
    await flush_or_conflict(session, body.name)
    await session.refresh(report)
    details = audit.field_changes({}, definition_of(report))
    await record_version(session, caller, "report.created", report.id, details)
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
    an admin hands it to another owner with `owner_id`. A change is a new version."""
    changes = checked_report_fields(_changes(body), settings)
    if "channels" in changes:
        changes["channels"] = await sealed_channels(changes["channels"], settings)
    if body.owner_id is not None:
        await _check_new_owner(session, caller.role, body.owner_id)
    changed = await change_report(session, caller, sql_checker, report.id, changes)
    return await report_view(session, changed)


@router.delete("/{report_id}", status_code=status.HTTP_204_NO_CONTENT, responses=REPORT_NOT_FOUND)
async def delete_report(report: ReportDep, caller: CallerDep, session: SessionDep) -> None:
    """Deletes the report and its run history; the runner's retention sweep removes its files
    (services/runner/retention.py), wherever the API runs."""
    audit.record(session, caller, "report.deleted", "report", report.id, {"name": report.name})
    await session.delete(report)


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
