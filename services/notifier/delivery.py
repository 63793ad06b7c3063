"""Handles run.completed, run.resend-requested and notification.deferred: log the run, then
claim, send and record one notification per target (e-mail or webhook)."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import notification_log as records
from services.notifier.decisions import (
    DeliveredRun,
    GiveUp,
    RetryLater,
)
from services.notifier.finished_run import FinishedRun
from services.notifier.metrics import NOTIFICATIONS
from services.notifier.notification_log import LedgerKey
from services.notifier.previous_delivery import last_delivered_for
from services.notifier.rendering import (
    OutputFile,
    RunNotice,
    header_safe,
    log_line,
)
from services.notifier.senders import Delivered, Senders
from services.notifier.settings import NotifierSettings
from services.notifier.targets import NOT_ALLOWED, plan_delivery
from services.notifier.templated_message import templated_message, with_template_problems
from shared.download_links import signed_download_url
from shared.event_publisher import EventPublisher
from shared.events import Event, NotificationDeferred, ResendRequested, RunCompleted, utc_now
from shared.messaging import PermanentFailure
from shared.models import NotificationChannel, RunStatus
from shared.output_files import stored_output_path
from shared.topology import delay_routing_key

log = logging.getLogger(__name__)
T = TypeVar("T")
_GONE = "run.completed for a run that no longer exists (its report was deleted); nothing to send"
WRITE_ATTEMPTS = 3
WRITE_RETRY_SECONDS = 1.0


class Notifier:
    """Sends at most `notifier_concurrency` notifications at once; a slow or failing target
    only holds its own slot, and a transient failure waits in a delay queue, not in this
    process.
    """

    def __init__(
        self,
        settings: NotifierSettings,
        sessions: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        senders: Senders,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._publisher = publisher
        self._senders = senders
        self._slots = asyncio.Semaphore(settings.notifier_concurrency)
        self._active: set[asyncio.Task[object]] = set()

    async def handle(self, event: Event) -> None:
        """Idempotent: rows are inserted ON CONFLICT DO NOTHING, and a notification is sent only
        by the delivery that claims its row at the expected attempt count (a conditional
        UPDATE); a resend's rows are keyed by its resend_id."""
        if isinstance(event, RunCompleted):
            await self.notify_finished_run(event.run_id)
        elif isinstance(event, NotificationDeferred):
            async with self._in_flight():
                await self._on_deferred(event)
        elif isinstance(event, ResendRequested):
            async with self._in_flight():
                await self._on_resend(event)
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
                line = with_template_problems(log_line(run), run)
                await records.record_log_line(session, run_id, line)
                last_delivered = await last_delivered_for(session, run)
                to_send = await self._add_rows(session, run, None, None, last_delivered)
        except IntegrityError:
            if not await self._deleted_meanwhile(run_id):
                raise
            log.info(_GONE, extra={"run_id": run_id})
            return
        log.info(header_safe(line, 2000), extra={"run_id": run_id})
        await self._deliver_all(run, to_send)

    async def _on_resend(self, event: ResendRequested) -> None:
        """A resend of a successful run's stored file: rows of its own, each sent at most once."""
        context = {"run_id": event.run_id}
        async with self._sessions.begin() as session:
            run = await records.load_run(session, event.run_id)
            if run is None or run.status != RunStatus.SUCCESS:
                log.info("resend of a run without a file; nothing to send", extra=context)
                return
            to_send = await self._add_rows(session, run, event.resend_id, event.recipients)
        log.info("resending the run's file to %d target(s)", len(to_send), extra=context)
        await self._deliver_all(run, to_send)

    async def _deliver_all(self, run: FinishedRun, keys: list[LedgerKey]) -> None:
        if not keys:
            return
        notice = self._notice(run, await self._output_file(run.output_path))
        results = await asyncio.gather(
            *(self._deliver(notice, key, 0) for key in keys), return_exceptions=True
        )
        errors = [result for result in results if isinstance(result, BaseException)]
        if errors:
            raise errors[0]

    async def _deleted_meanwhile(self, run_id: uuid.UUID) -> bool:
        """The run (with its report) was deleted after it was read: its rows then point at
        nothing and are refused, which says nothing is left to notify."""
        async with self._sessions.begin() as session:
            return await records.load_run(session, run_id) is None

    async def _add_rows(
        self,
        session: AsyncSession,
        run: FinishedRun,
        resend_id: uuid.UUID | None,
        resend_recipients: Sequence[str] | None,
        last_delivered: DeliveredRun | None = None,
    ) -> list[LedgerKey]:
        """Records one row per distinct target; returns those to send now."""
        plan = plan_delivery(
            run, resend_id, resend_recipients, self._settings.allows_recipient, last_delivered
        )
        for group in plan.groups:
            await records.add_rows(session, group.keys, group.status, group.message, group.error)
        if plan.refused:
            log.warning(
                "%d recipient(s) outside ALLOWED_RECIPIENT_DOMAINS not mailed: %s",
                len(plan.refused),
                header_safe(", ".join(plan.refused), 2000),
                extra={"run_id": run.run_id},
            )
        return plan.to_send

    async def _on_deferred(self, event: NotificationDeferred) -> None:
        key = LedgerKey(
            event.run_id, NotificationChannel(event.channel), event.recipient, event.resend_id
        )
        async with self._sessions.begin() as session:
            run = await records.load_run(session, event.run_id)
            # ALLOWED_RECIPIENT_DOMAINS may have been narrowed since the first attempt.
            if (
                run is not None
                and key.channel == NotificationChannel.EMAIL
                and not self._settings.allows_recipient(event.recipient)
            ):
                await records.skip_pending(session, key, NOT_ALLOWED)
                run = None
        if run is None:
            return
        notice = self._notice(run, await self._output_file(run.output_path))
        await self._deliver(notice, key, event.attempt)

    def _notice(self, run: FinishedRun, output: OutputFile | None) -> RunNotice:
        """The link is signed when the mail is made, so it works DOWNLOAD_LINK_TTL_HOURS from
        the send (a retried mail gets a fresh link)."""
        settings = self._settings
        link = signed_download_url(
            settings.public_base_url,
            run.run_id,
            settings.signing_key,
            utc_now() + settings.download_link_ttl,
        )
        return RunNotice(run, link, output, templated_message(run))

    async def _output_file(self, output_path: str | None) -> OutputFile | None:
        if not output_path:
            return None
        path = stored_output_path(self._settings.output_dir, output_path)
        return await asyncio.to_thread(_read_output, path, self._settings.mail_max_attachment_bytes)

    async def _deliver(self, notice: RunNotice, key: LedgerKey, attempts_done: int) -> None:
        context = {"run_id": key.run_id, "recipient": key.recipient, "channel": key.channel}
        async with self._slots:
            claim = await self._write(lambda session: records.claim(session, key, attempts_done))
            if claim is None:
                log.info("notification already handled; not sent again", extra=context)
                return
            outcome = await self._senders.send(notice, key, claim)
            if not isinstance(outcome, Delivered):
                await self._after_failure(key, claim.attempt, outcome)
                return
        await self._write(lambda session: records.mark_sent(session, key, claim.attempt))
        NOTIFICATIONS.labels("sent").inc()
        log.info("%s sent (attempt %d)", key.channel, claim.attempt, extra=context)

    async def _after_failure(
        self, key: LedgerKey, attempt: int, decision: RetryLater | GiveUp
    ) -> None:
        context = {"run_id": key.run_id, "recipient": key.recipient, "channel": key.channel}
        if isinstance(decision, GiveUp):
            await self._write(
                lambda session: records.mark_failed(session, key, attempt, decision.reason)
            )
            NOTIFICATIONS.labels("failed").inc()
            log.warning("%s failed: %s", key.channel, decision.reason, extra=context)
            return
        delay = decision.delay_seconds
        await self._write(
            lambda session: records.defer(session, key, attempt, decision.reply, delay)
        )
        NOTIFICATIONS.labels("deferred").inc()
        log.info(
            "attempt %d failed (%s); retrying in %.1fs",
            attempt,
            decision.reply,
            delay,
            extra=context,
        )
        retry = NotificationDeferred(
            run_id=key.run_id,
            recipient=key.recipient,
            attempt=attempt,
            channel=key.channel,
            resend_id=key.resend_id,
        )
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
        """Lets the notifications in flight finish, so their rows are not left claimed."""
        if self._active:
            await asyncio.wait(set(self._active), timeout=grace_seconds)


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
