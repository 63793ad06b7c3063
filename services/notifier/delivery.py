"""Handles run.completed and notification.deferred: log the run, claim, send and record mails."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import notification_log as records
from services.notifier.decisions import GiveUp, RetryLater, RetryPolicy, after_failure, should_mail
from services.notifier.finished_run import FinishedRun
from services.notifier.mailer import DeliveryFailed, Mailer
from services.notifier.metrics import NOTIFICATIONS
from services.notifier.rendering import (
    OutputFile,
    RunNotice,
    build_message,
    download_url,
    header_safe,
    is_mailable_address,
    log_line,
    subject,
)
from services.notifier.settings import NotifierSettings
from shared.event_publisher import EventPublisher
from shared.events import Event, NotificationDeferred, RunCompleted
from shared.messaging import PermanentFailure
from shared.models import MAILED_STATUSES, NotificationStatus
from shared.output_files import stored_output_path
from shared.topology import delay_routing_key

log = logging.getLogger(__name__)
T = TypeVar("T")
NOT_ALLOWED = "the recipient's domain is not in ALLOWED_RECIPIENT_DOMAINS; not sent"
_GONE = "run.completed for a run that no longer exists (its report was deleted); nothing to send"
WRITE_ATTEMPTS = 3
WRITE_RETRY_SECONDS = 1.0


class Notifier:
    """Sends at most `notifier_concurrency` mails at once; a slow or failing recipient only
    holds its own slot, and a transient failure waits in a delay queue, not in this process.
    """

    def __init__(
        self,
        settings: NotifierSettings,
        sessions: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        mailer: Mailer,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._publisher = publisher
        self._mailer = mailer
        self._policy = RetryPolicy(
            settings.notifier_max_attempts,
            settings.notifier_retry_base_seconds,
            settings.notifier_retry_max_seconds,
        )
        self._slots = asyncio.Semaphore(settings.notifier_concurrency)
        self._active: set[asyncio.Task[object]] = set()

    async def handle(self, event: Event) -> None:
        """Idempotent: rows are inserted ON CONFLICT DO NOTHING, and a mail is sent only by the
        delivery that claims its row at the expected attempt count (a conditional UPDATE)."""
        if isinstance(event, RunCompleted):
            await self.notify_finished_run(event.run_id)
        elif isinstance(event, NotificationDeferred):
            async with self._in_flight():
                await self._on_deferred(event)
        else:
            raise PermanentFailure(f"notifier got an unexpected {event.routing_key} event")

    async def notify_finished_run(self, run_id: uuid.UUID) -> None:
        """What a run.completed leads to; the sweeper calls it directly for a finished run whose
        event never arrived. Idempotent like `handle`: a second call writes and sends nothing."""
        async with self._in_flight():
            await self._on_completed(run_id)

    @asynccontextmanager
    async def _in_flight(self) -> AsyncIterator[None]:
        """Counts the current task as work in flight, which `drain` lets finish."""
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._active.discard(task)

    async def _on_completed(self, run_id: uuid.UUID) -> None:
        try:
            async with self._sessions.begin() as session:
                run = await records.load_run(session, run_id)
                if run is None:
                    log.info(_GONE, extra={"run_id": run_id})
                    return
                line = log_line(run)
                await records.record_log_line(session, run_id, line)
                recipients = await self._add_email_rows(session, run)
        except IntegrityError:
            if not await self._deleted_meanwhile(run_id):
                raise
            log.info(_GONE, extra={"run_id": run_id})
            return
        log.info(header_safe(line, 2000), extra={"run_id": run_id})
        if not recipients:
            return
        notice = self._notice(run, await self._output_file(run.output_path))
        results = await asyncio.gather(
            *(self._deliver(notice, recipient, 0) for recipient in recipients),
            return_exceptions=True,
        )
        errors = [result for result in results if isinstance(result, BaseException)]
        if errors:
            raise errors[0]

    async def _deleted_meanwhile(self, run_id: uuid.UUID) -> bool:
        """The run (with its report) was deleted after it was read: its rows then point at
        nothing and are refused, which says nothing is left to notify."""
        async with self._sessions.begin() as session:
            return await records.load_run(session, run_id) is None

    async def _add_email_rows(self, session: AsyncSession, run: FinishedRun) -> list[str]:
        """Records one row per distinct recipient; returns those to mail now."""
        recipients = list(dict.fromkeys(address.strip() for address in run.recipients))
        if not should_mail(run.notify_on, run.status):
            reason = (
                f"notify_on is {run.notify_on} and the run is {run.status}"
                if run.status in MAILED_STATUSES
                else f"a {run.status} run is never mailed"
            )
            await records.add_emails(
                session, run.run_id, recipients, NotificationStatus.SKIPPED, reason
            )
            return []
        valid = [address for address in recipients if is_mailable_address(address)]
        invalid = [address for address in recipients if address not in valid]
        allowed = [address for address in valid if self._settings.allows_recipient(address)]
        refused = [address for address in valid if address not in allowed]
        mail_subject = subject(run)
        await records.add_emails(
            session, run.run_id, allowed, NotificationStatus.PENDING, mail_subject
        )
        await records.add_emails(
            session, run.run_id, refused, NotificationStatus.SKIPPED, mail_subject, NOT_ALLOWED
        )
        if refused:
            log.warning(
                "%d recipient(s) outside ALLOWED_RECIPIENT_DOMAINS not mailed: %s",
                len(refused),
                header_safe(", ".join(refused), 2000),
                extra={"run_id": run.run_id},
            )
        await records.add_emails(
            session,
            run.run_id,
            invalid,
            NotificationStatus.FAILED,
            mail_subject,
            "not a valid e-mail address",
        )
        return allowed

    async def _on_deferred(self, event: NotificationDeferred) -> None:
        async with self._sessions.begin() as session:
            run = await records.load_run(session, event.run_id)
            # ALLOWED_RECIPIENT_DOMAINS may have been narrowed since the first attempt.
            if run is not None and not self._settings.allows_recipient(event.recipient):
                await records.skip_pending(session, event.run_id, event.recipient, NOT_ALLOWED)
                run = None
        if run is None:
            return
        notice = self._notice(run, await self._output_file(run.output_path))
        await self._deliver(notice, event.recipient, event.attempt)

    def _notice(self, run: FinishedRun, output: OutputFile | None) -> RunNotice:
        return RunNotice(run, download_url(self._settings.public_base_url, run.run_id), output)

    async def _output_file(self, output_path: str | None) -> OutputFile | None:
        if not output_path:
            return None
        path = stored_output_path(self._settings.output_dir, output_path)
        return await asyncio.to_thread(_read_output, path, self._settings.mail_max_attachment_bytes)

    async def _deliver(self, notice: RunNotice, recipient: str, attempts_done: int) -> None:
        context = {"run_id": notice.run.run_id, "recipient": recipient}
        async with self._slots:
            attempt = await self._write(
                lambda session: records.claim(session, notice.run.run_id, recipient, attempts_done)
            )
            if attempt is None:
                log.info("notification already handled; not sent again", extra=context)
                return
            settings = self._settings
            message = build_message(
                notice,
                settings.smtp_from,
                recipient,
                settings.mail_max_attachment_bytes,
                datetime.now(UTC),
            )
            outcome = await attempt_delivery(
                self._mailer, message, recipient, attempt, self._policy
            )
            if not isinstance(outcome, Delivered):
                await self._after_failure(notice.run.run_id, recipient, attempt, outcome)
                return
        await self._write(
            lambda session: records.mark_sent(session, notice.run.run_id, recipient, attempt)
        )
        NOTIFICATIONS.labels("sent").inc()
        log.info("mail sent (attempt %d)", attempt, extra=context)

    async def _after_failure(
        self, run_id: uuid.UUID, recipient: str, attempt: int, decision: RetryLater | GiveUp
    ) -> None:
        context = {"run_id": run_id, "recipient": recipient}
        if isinstance(decision, GiveUp):
            await self._write(
                lambda session: records.mark_failed(
                    session, run_id, recipient, attempt, decision.reason
                )
            )
            NOTIFICATIONS.labels("failed").inc()
            log.warning("mail failed: %s", decision.reason, extra=context)
            return
        delay = decision.delay_seconds
        await self._write(
            lambda session: records.defer(
                session, run_id, recipient, attempt, decision.reply, delay
            )
        )
        NOTIFICATIONS.labels("deferred").inc()
        log.info(
            "attempt %d failed (%s); retrying in %.1fs",
            attempt,
            decision.reply,
            delay,
            extra=context,
        )
        retry = NotificationDeferred(run_id=run_id, recipient=recipient, attempt=attempt)
        try:
            await publish_retry(self._publisher, retry, delay)
        except Exception:
            log.warning(
                "could not schedule the retry; the sweeper will", extra=context, exc_info=True
            )

    async def _write(self, change: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """One transaction, retried briefly: after a send, losing the outcome is the worst case."""
        for _ in range(WRITE_ATTEMPTS - 1):
            try:
                async with self._sessions.begin() as session:
                    return await change(session)
            except Exception:
                log.warning("notification_log write failed; retrying", exc_info=True)
                await asyncio.sleep(WRITE_RETRY_SECONDS)
        async with self._sessions.begin() as session:
            return await change(session)

    async def drain(self, grace_seconds: float) -> None:
        """Lets the mails in flight finish, so their rows are not left claimed."""
        if self._active:
            await asyncio.wait(set(self._active), timeout=grace_seconds)


@dataclass(frozen=True)
class Delivered:
    """The mail server accepted the message."""


async def attempt_delivery(
    mailer: Mailer, message: EmailMessage, recipient: str, attempt: int, policy: RetryPolicy
) -> Delivered | RetryLater | GiveUp:
    """Sends attempt number `attempt` (1-based) once; a refusal becomes what follows it."""
    try:
        await mailer.send(message, recipient)
    except DeliveryFailed as failure:
        return after_failure(attempt, failure.transient, failure.reply, policy)
    return Delivered()


async def publish_retry(
    publisher: EventPublisher, retry: NotificationDeferred, delay_seconds: float
) -> None:
    """Parks the retry in its attempt's delay queue, from which it expires after
    `delay_seconds` onto the retry queue (as notification.deferred)."""
    await publisher.publish_raw(
        delay_routing_key(retry.routing_key, retry.attempt),
        retry.model_dump_json().encode(),
        retry.event_id.hex,
        expiration_seconds=delay_seconds,
        event_type=retry.routing_key,
    )


def _read_output(path: Path, max_bytes: int) -> OutputFile | None:
    if not path.is_file():
        return None
    size = path.stat().st_size
    return OutputFile(path.name, size, path.read_bytes() if size <= max_bytes else None)
