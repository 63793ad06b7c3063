"""The watchdog's alerts, newest first: open problems and the resolved ones before them."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import ColumnElement, func, select, true

from services.api.alert_schemas import AlertOut
from services.api.authentication import Caller
from services.api.dependencies import CallerDep, SessionDep
from shared.models import Alert, AlertKind

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


def readable_by(caller: Caller) -> ColumnElement[bool]:
    """Admins read every alert; other accounts the alerts of reports, which every account may
    read (authorization.py), and not the system's (scheduler, queues)."""
    return true() if caller.is_admin else Alert.report_id.is_not(None)


@router.get("")
async def list_alerts(
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    only_open: Annotated[
        bool | None,
        Query(alias="open", description="true: only open alerts; false: only resolved ones"),
    ] = None,
    kind: AlertKind | None = None,
    report_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[AlertOut]:
    """The total number of matching alerts is in the `X-Total-Count` header."""
    conditions = [readable_by(caller)]
    if only_open is not None:
        resolved = Alert.resolved_at.is_(None) if only_open else Alert.resolved_at.is_not(None)
        conditions.append(resolved)
    if kind is not None:
        conditions.append(Alert.kind == kind)
    if report_id is not None:
        conditions.append(Alert.report_id == report_id)
    total = await session.scalar(select(func.count()).select_from(Alert).where(*conditions))
    alerts = await session.scalars(
        select(Alert)
        .where(*conditions)
        .order_by(Alert.since.desc(), Alert.id)
        .limit(limit)
        .offset(offset)
    )
    response.headers["X-Total-Count"] = str(total)
    return [AlertOut.model_validate(alert) for alert in alerts]
