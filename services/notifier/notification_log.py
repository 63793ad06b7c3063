"""The notifier's state changes on notification_log: record, claim, finish, defer and sweep.

One row per target (channel and non-secret label: an e-mail address, a webhook's host) of a
run's own delivery or of one resend. Rows are inserted ON CONFLICT DO NOTHING on (run_id,
channel, recipient, resend_id) and every later change is a conditional UPDATE on the row's
attempt count, so a redelivered event or a duplicated retry never claims — and so never
sends — the same attempt twice. Helpers take a session and never commit.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier.channels import HTTP_CHANNELS
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
UNIQUE_KEY = ["run_id", "channel", "recipient", "resend_id"]


@dataclass(frozen=True)
class LedgerKey:
    """One target of one delivery: the run's own (resend_id None) or a resend's."""

    run_id: uuid.UUID
    channel: NotificationChannel
    recipient: str
    resend_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Claim:
    attempt: int
    # The row's id: a webhook's X-ReportFlow-Delivery, the same for every attempt.
    row_id: uuid.UUID


@dataclass(frozen=True)
class DueNotification:
    key: LedgerKey
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
        report_id=report.id,
        byte_size=run.byte_size,
        sha256=run.sha256,
        channels=list(report.channels),
        empty_result=report.empty_result,
        deliver_if=list(report.deliver_if),
        inline_rows=report.inline_rows,
        first_rows=run.first_rows,
        only_if_changed=report.only_if_changed,
        timezone=report.timezone,
        queued_at=run.queued_at,
        parameters=dict(run.parameters or {}),
        subject_template=report.subject_template,
        body_template=report.body_template,
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


async def add_rows(
    session: AsyncSession,
    keys: Sequence[LedgerKey],
    status: NotificationStatus,
    message: str,
    error_message: str | None = None,
) -> None:
    if not keys:
        return
    rows = [
        {
            "id": uuid.uuid4(),
            "run_id": key.run_id,
            "channel": key.channel,
            "recipient": key.recipient,
            "resend_id": key.resend_id,
            "status": status,
            "message": message,
            "error_message": error_message,
        }
        for key in keys
    ]
    await session.execute(
        insert(NotificationLog).values(rows).on_conflict_do_nothing(index_elements=UNIQUE_KEY)
    )


def _row(key: LedgerKey) -> ColumnElement[bool]:
    return (
        (NotificationLog.run_id == key.run_id)
        & (NotificationLog.channel == key.channel)
        & (NotificationLog.recipient == key.recipient)
        & NotificationLog.resend_id.is_not_distinct_from(key.resend_id)
    )


async def claim(session: AsyncSession, key: LedgerKey, attempts_done: int) -> Claim | None:
    """Starts attempt `attempts_done + 1`; None if that attempt is taken or the row is final."""
    row = (
        await session.execute(
            update(NotificationLog)
            .where(
                _row(key),
                NotificationLog.status == NotificationStatus.PENDING,
                NotificationLog.claimed_at.is_(None),
                NotificationLog.attempts == attempts_done,
            )
            .values(attempts=NotificationLog.attempts + 1, claimed_at=func.now())
            .returning(NotificationLog.attempts, NotificationLog.id)
        )
    ).one_or_none()
    return None if row is None else Claim(row.attempts, row.id)


async def _finish_attempt(
    session: AsyncSession, key: LedgerKey, attempt: int, **values: object
) -> None:
    """Only while the row is still at `attempt`: a later attempt's outcome is not overwritten."""
    await session.execute(
        update(NotificationLog)
        .where(_row(key), NotificationLog.attempts == attempt)
        .values(claimed_at=None, **values)
    )


async def mark_sent(session: AsyncSession, key: LedgerKey, attempt: int) -> None:
    """Also overrides an "outcome unknown" verdict of the sweeper: the server did accept it."""
    await _finish_attempt(
        session,
        key,
        attempt,
        status=NotificationStatus.SENT,
        sent_at=func.now(),
        error_message=None,
        next_attempt_at=None,
    )


async def mark_failed(session: AsyncSession, key: LedgerKey, attempt: int, error: str) -> None:
    await _finish_attempt(
        session,
        key,
        attempt,
        status=NotificationStatus.FAILED,
        error_message=error,
        next_attempt_at=None,
    )


async def defer(
    session: AsyncSession, key: LedgerKey, attempt: int, error: str, delay_seconds: float
) -> None:
    await _finish_attempt(
        session,
        key,
        attempt,
        error_message=error,
        next_attempt_at=func.now() + timedelta(seconds=delay_seconds),
    )


async def skip_pending(session: AsyncSession, key: LedgerKey, reason: str) -> None:
    """A waiting retry that is no longer to be sent (its recipient is not allowed any more)."""
    await session.execute(
        update(NotificationLog)
        .where(
            _row(key),
            NotificationLog.status == NotificationStatus.PENDING,
            NotificationLog.claimed_at.is_(None),
        )
        .values(status=NotificationStatus.SKIPPED, error_message=reason, next_attempt_at=None)
    )


async def release_stale_webhook_claims(session: AsyncSession, timeout_seconds: float) -> int:
    """Webhook and Teams claims older than the timeout: their notifier died mid-POST. They are
    at least once (receivers de-duplicate by the delivery id), so the row is due again now and
    the overdue sweep sends it, with the same id."""
    result = await session.execute(
        update(NotificationLog)
        .where(
            NotificationLog.status == NotificationStatus.PENDING,
            NotificationLog.channel.in_(HTTP_CHANNELS),
            NotificationLog.claimed_at < func.now() - timedelta(seconds=timeout_seconds),
        )
        .values(
            claimed_at=None,
            next_attempt_at=func.now(),
            error_message="the notifier stopped during this attempt; sent again",
        )
        .returning(NotificationLog.id)
    )
    return len(result.all())


async def fail_stale_claims(session: AsyncSession, timeout_seconds: float) -> int:
    """E-mail claims older than the timeout: their notifier died mid-send, so the outcome is
    unknown.

    They are FAILED, not sent again: the server may have accepted the mail before the crash,
    and a recipient is better served by a missing mail flagged in the log than by a duplicate.
    """
    result = await session.execute(
        update(NotificationLog)
        .where(
            NotificationLog.status == NotificationStatus.PENDING,
            NotificationLog.channel.not_in(HTTP_CHANNELS),
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
    """Unclaimed PENDING notifications well past their due time (their message was lost).

    Their due time moves to now, so the next sweep does not publish them again at once.
    """
    due = func.coalesce(NotificationLog.next_attempt_at, NotificationLog.created_at)
    overdue = (
        select(NotificationLog.id)
        .where(
            NotificationLog.status == NotificationStatus.PENDING,
            NotificationLog.channel != NotificationChannel.LOG,
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
        .returning(
            NotificationLog.run_id,
            NotificationLog.channel,
            NotificationLog.recipient,
            NotificationLog.resend_id,
            NotificationLog.attempts,
        )
    )
    return [
        DueNotification(
            LedgerKey(row.run_id, row.channel, row.recipient, row.resend_id), row.attempts
        )
        for row in rows
    ]
