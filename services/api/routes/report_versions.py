"""A report's versions (each change of its definition, from the audit log) and restoring one."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.dependencies import CallerDep, ReportDep, SessionDep, SettingsDep, SqlCheckerDep
from services.api.errors import REPORT_NOT_FOUND, NotFound
from services.api.report_changes import DEFINITION_FIELDS, change_report, definition_of
from services.api.report_rules import checked_report_fields
from services.api.report_views import report_view
from services.api.schemas import ReportOut, ReportVersionOut
from shared.models import AuditEntry

router = APIRouter(prefix="/api/reports/{report_id}/versions", tags=["reports"])

MAX_VERSION = 2_000_000_000
RESTORED_VERSION = "restored_version"


@router.get("", responses=REPORT_NOT_FOUND)
async def list_versions(report: ReportDep, session: SessionDep) -> list[ReportVersionOut]:
    """Newest first."""
    entries = await _versions(session, report.id)
    return [
        ReportVersionOut(
            version=entry.version or 0,
            action=entry.action,
            occurred_at=entry.occurred_at,
            actor_email=entry.actor_email,
            changes={k: v for k, v in entry.details.items() if k != RESTORED_VERSION},
            restored_version=entry.details.get(RESTORED_VERSION),
        )
        for entry in entries
    ]


@router.post(
    "/{version}/restore",
    responses={**REPORT_NOT_FOUND, 404: {"description": "No such report or version"}},
)
async def restore_version(
    report: ReportDep,
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
    caller: CallerDep,
    session: SessionDep,
    sql_checker: SqlCheckerDep,
    settings: SettingsDep,
) -> ReportOut:
    """Makes the definition what it was at `version`, as a new version (the owner stays)."""
    entries = await _versions(session, report.id)
    if version not in {entry.version for entry in entries}:
        raise NotFound(f"version {version} of report", report.id)
    current = definition_of(report)
    target = definition_at(current, [entry for entry in entries if (entry.version or 0) > version])
    changes = {field: value for field, value in target.items() if value != current[field]}
    changes = checked_report_fields(changes, settings)
    restored = await change_report(
        session,
        caller,
        sql_checker,
        report.id,
        changes,
        action="report.restored",
        note={RESTORED_VERSION: version},
    )
    return await report_view(session, restored)


def definition_at(current: dict[str, Any], later: list[AuditEntry]) -> dict[str, Any]:
    """The definition before the `later` versions (newest first): each one's old values."""
    definition = dict(current)
    for entry in later:
        for field, change in entry.details.items():
            if field in DEFINITION_FIELDS and isinstance(change, dict) and "old" in change:
                definition[field] = change["old"]
    return definition


async def _versions(session: AsyncSession, report_id: uuid.UUID) -> list[AuditEntry]:
    return list(
        (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.subject_id == report_id, AuditEntry.version.is_not(None))
                .order_by(AuditEntry.version.desc())
            )
        ).all()
    )
