"""The watchdog's state changes on the alerts table: open, resolve, claim and finish notices.

Opening is an INSERT … ON CONFLICT on the partial unique index of open alerts, so two notifiers
that notice the same problem open one alert; a notice is sent only by the notifier whose
conditional UPDATE claimed it. Helpers take a session and never commit.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier.alert_rules import AlertKey, Verdict
from shared.models import Alert, AlertKind, Report

OPEN_KEY = ["kind", "report_id", "target"]
OPEN = Alert.resolved_at.is_(None)


@dataclass(frozen=True)
class ClaimedNotice:
    """An open alert whose notice this notifier now owns (attempt `attempt`)."""

    alert_id: uuid.UUID
    kind: AlertKind
    report_id: uuid.UUID | None
    report_name: str | None
    owner_id: uuid.UUID | None
    target: str | None
    details: dict[str, Any]
    attempt: int
    # A failing report's recipients, when its failure_notice_recipients asks for them.
    also_to: tuple[str, ...] = ()


async def apply(session: AsyncSession, verdict: Verdict) -> tuple[int, int]:
    """Resolves what cleared, opens (or refreshes) what was found: (opened, resolved)."""
    open_keys = await session.execute(
        select(Alert.id, Alert.report_id, Alert.target).where(Alert.kind == verdict.kind, OPEN)
    )
    cleared = [
        row.id
        for row in open_keys
        if verdict.clears(AlertKey(verdict.kind, row.report_id, row.target))
    ]
    if cleared:
        await session.execute(
            update(Alert).where(Alert.id.in_(cleared), OPEN).values(resolved_at=func.now())
        )
    opened = 0
    for finding in verdict.found:
        statement = insert(Alert).values(
            id=uuid.uuid4(),
            kind=finding.key.kind,
            report_id=finding.key.report_id,
            target=finding.key.target,
            details=finding.details,
        )
        result = await session.execute(
            statement.on_conflict_do_update(
                index_elements=OPEN_KEY,
                index_where=OPEN,
                set_={"last_seen": func.now(), "details": statement.excluded.details},
            ).returning(Alert.since == Alert.last_seen)
        )
        opened += bool(result.scalar_one())
    return opened, len(cleared)


async def claim_notices(
    session: AsyncSession, max_attempts: int, limit: int
) -> list[ClaimedNotice]:
    """Open alerts not yet told, claimed for sending (skipping those another notifier locked)."""
    waiting = (
        select(Alert.id)
        .where(
            OPEN,
            Alert.notice_sent_at.is_(None),
            Alert.notice_claimed_at.is_(None),
            Alert.notice_attempts < max_attempts,
        )
        .order_by(Alert.since)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.scalars(
        update(Alert)
        .where(Alert.id.in_(waiting.scalar_subquery()))
        .values(notice_claimed_at=func.now(), notice_attempts=Alert.notice_attempts + 1)
        .returning(Alert.id)
    )
    ids = list(claimed)
    if not ids:
        return []
    rows = await session.execute(
        select(
            Alert,
            Report.name,
            Report.owner_id,
            Report.recipients,
            Report.failure_notice_recipients,
        )
        .outerjoin(Report, Report.id == Alert.report_id)
        .where(Alert.id.in_(ids))
    )
    return [
        ClaimedNotice(
            alert.id,
            alert.kind,
            alert.report_id,
            name,
            owner_id,
            alert.target,
            dict(alert.details),
            alert.notice_attempts,
            tuple(report_recipients or ())
            if alert.kind == AlertKind.RUN_FAILING and recipients_too
            else (),
        )
        for alert, name, owner_id, report_recipients, recipients_too in rows
    ]


async def finish_notice(session: AsyncSession, alert_id: uuid.UUID, error: str | None) -> None:
    """Told (or given up on): never sent again."""
    await session.execute(
        update(Alert)
        .where(Alert.id == alert_id)
        .values(notice_sent_at=func.now(), notice_claimed_at=None, notice_error=error)
    )


async def release_notice(session: AsyncSession, alert_id: uuid.UUID, error: str) -> None:
    """Nobody was told and the failure was transient: a later check tries again."""
    await session.execute(
        update(Alert).where(Alert.id == alert_id).values(notice_claimed_at=None, notice_error=error)
    )


async def flag_stale_claims(session: AsyncSession, timeout_seconds: float) -> int:
    """Notices claimed longer ago than the timeout: their notifier died mid-send. They are not
    sent again (a recipient may have it already); the alert says the outcome is unknown."""
    result = await session.execute(
        update(Alert)
        .where(
            Alert.notice_claimed_at < func.now() - timedelta(seconds=timeout_seconds),
            Alert.notice_sent_at.is_(None),
            or_(Alert.notice_error.is_(None), ~Alert.notice_error.startswith("outcome unknown")),
        )
        .values(notice_error="outcome unknown: the notifier stopped while sending; not sent again")
        .returning(Alert.id)
    )
    return len(result.all())
