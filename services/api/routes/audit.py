"""The audit log, newest first: who created, changed, ran or deleted what."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select

from services.api.account_schemas import AuditOut
from services.api.dependencies import SessionDep
from shared.models import AuditEntry

router = APIRouter(prefix="/api/audit", tags=["accounts"])


@router.get("")
async def list_audit_entries(
    session: SessionDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[AuditOut]:
    """The total number of entries is in the `X-Total-Count` header."""
    total = await session.scalar(select(func.count()).select_from(AuditEntry))
    entries = (
        await session.scalars(
            select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
        )
    ).all()
    response.headers["X-Total-Count"] = str(total)
    return [AuditOut.model_validate(entry) for entry in entries]
