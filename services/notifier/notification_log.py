"""The notifier's state changes on notification_log: record, claim, finish, defer and sweep.

Rows are inserted ON CONFLICT DO NOTHING on (run_id, channel, recipient) and every later change
is a conditional UPDATE on the row's attempt count, so a redelivered run.completed or a
duplicated retry never claims — and so never sends — the same attempt twice. Helpers take a
session and never commit.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier.finished_run import FinishedRun
from shared.models import (
    NotificationChannel,
    NotificationLog,
    NotificationStatus,
    Report,
    ReportRun,
)

# The LOG channel has one row per run; its "recipient" is the system's own log.
LOG_RECIPIENT = "system"
UNIQUE_KEY = ["run_id", "channel", "recipient"]


@dataclass(frozen=True)
class DueNotification:
    run_id: uuid.UUID
    recipient: str
    attempts: int


async def load_run(session: AsyncSession, run_id: uuid.UUID) -> FinishedRun | None:
    row = (
        await session.execute(select(ReportRun, Report).join(Report).where(ReportRun.id == run_id))
    ).one_or_none()
    if row is None:
        return None
    run, report = row
    return FinishedRun(
        run.id,
        report.name,
        report.description,
        report.notify_on,
        list(report.recipients),
        run.status,
        run.row_count,
        run.started_at,
        run.finished_at,
        run.scheduled_for,
        run.error_message,
        run.output_path,
    )


async def record_log_line(session: AsyncSession, run_id: uuid.UUID, text: str) -> None:
    await session.execute(
        insert(NotificationLog)
        .values(
            run_id=run_id,
            channel=NotificationChannel.LOG,
            recipient=LOG_RECIPIENT,
            status=NotificationStatus.SENT,
            message=text,
            attempts=1,
            sent_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=UNIQUE_KEY)
    )


async def add_emails(
    session: AsyncSession,
    run_id: uuid.UUID,
    recipients: Sequence[str],
    status: NotificationStatus,
    message: str,
    error_message: str | None = None,
) -> None:
    if not recipients:
        return
    rows = [
        {
            "id": uuid.uuid4(),
            "run_id": run_id,
            "channel": NotificationChannel.EMAIL,
            "recipient": recipient,
            "status": status,
            "message": message,
            "error_message": error_message,
        }
        for recipient in recipients
    ]
    await session.execute(
        insert(NotificationLog).values(rows).on_conflict_do_nothing(index_elements=UNIQUE_KEY)
    )


def _email(run_id: uuid.UUID, recipient: str) -> ColumnElement[bool]:
    return (
        (NotificationLog.run_id == run_id)
        & (NotificationLog.channel == NotificationChannel.EMAIL)
        & (NotificationLog.recipient == recipient)
    )


async def claim(
    session: AsyncSession, run_id: uuid.UUID, recipient: str, attempts_done: int
) -> int | None:
    """Starts attempt `attempts_done + 1`; None if that attempt is taken or the row is final."""
    return (
        await session.execute(
            update(NotificationLog)
            .where(
                _email(run_id, recipient),
                NotificationLog.status == NotificationStatus.PENDING,
                NotificationLog.claimed_at.is_(None),
                NotificationLog.attempts == attempts_done,
            )
            .values(attempts=NotificationLog.attempts + 1, claimed_at=func.now())
            .returning(NotificationLog.attempts)
        )
    ).scalar_one_or_none()


async def _finish_attempt(
    session: AsyncSession,
    run_id: uuid.UUID,
    recipient: str,
    attempt: int,
    **values: object,
) -> None:
    """Only while the row is still at `attempt`: a later attempt's outcome is not overwritten."""
    await session.execute(
        update(NotificationLog)
        .where(_email(run_id, recipient), NotificationLog.attempts == attempt)
        .values(claimed_at=None, **values)
    )


async def mark_sent(session: AsyncSession, run_id: uuid.UUID, recipient: str, attempt: int) -> None:
    """Also overrides an "outcome unknown" verdict of the sweeper: the server did accept it."""
    await _finish_attempt(
        session,
        run_id,
        recipient,
        attempt,
        status=NotificationStatus.SENT,
        sent_at=func.now(),
        error_message=None,
        next_attempt_at=None,
    )


async def mark_failed(
    session: AsyncSession, run_id: uuid.UUID, recipient: str, attempt: int, error: str
) -> None:
    await _finish_attempt(
        session,
        run_id,
        recipient,
        attempt,
        status=NotificationStatus.FAILED,
        error_message=error,
        next_attempt_at=None,
    )


async def defer(
    session: AsyncSession,
    run_id: uuid.UUID,
    recipient: str,
    attempt: int,
    error: str,
    delay_seconds: float,
) -> None:
    await _finish_attempt(
        session,
        run_id,
        recipient,
        attempt,
        error_message=error,
        next_attempt_at=func.now() + timedelta(seconds=delay_seconds),
    )


async def skip_pending(
    session: AsyncSession, run_id: uuid.UUID, recipient: str, reason: str
) -> None:
    """A waiting retry that is no longer to be sent (its recipient is not allowed any more)."""
    await session.execute(
        update(NotificationLog)
        .where(
            _email(run_id, recipient),
            NotificationLog.status == NotificationStatus.PENDING,
            NotificationLog.claimed_at.is_(None),
        )
        .values(status=NotificationStatus.SKIPPED, error_message=reason, next_attempt_at=None)
    )


async def fail_stale_claims(session: AsyncSession, timeout_seconds: float) -> int:
    """Claims older than the timeout: their notifier died mid-send, so the outcome is unknown.

    They are FAILED, not sent again: the server may have accepted the mail before the crash,
    and a recipient is better served by a missing mail flagged in the log than by a duplicate.
    """
    result = await session.execute(
        update(NotificationLog)
        .where(
            NotificationLog.status == NotificationStatus.PENDING,
            NotificationLog.claimed_at < func.now() - timedelta(seconds=timeout_seconds),
        )
        .values(
            status=NotificationStatus.FAILED,
            claimed_at=None,
            error_message=(
                "delivery outcome unknown: the notifier stopped during this attempt; "
                "not sent again so the recipient never gets a duplicate"
            ),
        )
        .returning(NotificationLog.id)
    )
    return len(result.all())


async def take_overdue(
    session: AsyncSession, overdue_seconds: float, limit: int = 200
) -> list[DueNotification]:
    """Unclaimed PENDING e-mails well past their due time (their message was lost).

    Their due time moves to now, so the next sweep does not publish them again at once.
    """
    due = func.coalesce(NotificationLog.next_attempt_at, NotificationLog.created_at)
    overdue = (
        select(NotificationLog.id)
        .where(
            NotificationLog.status == NotificationStatus.PENDING,
            NotificationLog.channel == NotificationChannel.EMAIL,
            NotificationLog.claimed_at.is_(None),
            due < func.now() - timedelta(seconds=overdue_seconds),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await session.execute(
        update(NotificationLog)
        .where(NotificationLog.id.in_(overdue.scalar_subquery()))
        .values(next_attempt_at=func.now())
        .returning(NotificationLog.run_id, NotificationLog.recipient, NotificationLog.attempts)
    )
    return [DueNotification(row.run_id, row.recipient, row.attempts) for row in rows]
