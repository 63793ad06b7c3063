"""Notifier fixtures: a recording SMTP server, the notifier process and run arrangements."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier.delivery import Notifier
from services.notifier.senders import Senders
from services.notifier.settings import NotifierSettings
from shared.channel_secrets import ChannelSealer
from shared.events import RunCompleted
from shared.messaging import Broker
from shared.models import NotifyOn, RunStatus
from tests.support.metrics import free_port
from tests.support.services import ServiceProcess, StartService
from tests.support.smtp_server import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

MAX_ATTACHMENT_BYTES = 1000
MAX_ATTEMPTS = 4
PUBLIC_BASE_URL = "https://reports.example.com"
WAIT_SECONDS = 10.0


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """The SMTP server, running and empty at the start of each test."""
    smtp_server.start()
    smtp_server.reset()
    yield smtp_server
    smtp_server.start()


def notifier_env(smtp_server: SmtpServer) -> dict[str, str]:
    """Retries, attachments and sweeps scaled down for tests."""
    return {
        "SMTP_PORT": str(smtp_server.port),
        "SMTP_TIMEOUT_SECONDS": "2",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "MAIL_MAX_ATTACHMENT_BYTES": str(MAX_ATTACHMENT_BYTES),
        "NOTIFIER_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "NOTIFIER_RETRY_BASE_SECONDS": "0.2",
        "NOTIFIER_RETRY_MAX_SECONDS": "1",
        "NOTIFIER_CLAIM_TIMEOUT_SECONDS": "30",
        "NOTIFIER_OVERDUE_SECONDS": "5",
        "NOTIFIER_SWEEP_INTERVAL_SECONDS": "0.5",
    }


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    """A webhook receiver on 127.0.0.1 (allow-listed for the services under test)."""
    server = WebhookReceiver()
    await server.start()
    yield server
    await server.stop()


SealWebhook = Callable[[str, str], dict[str, str]]


@pytest.fixture
def seal_webhook(channel_secrets_key: str) -> SealWebhook:
    """A webhook channel as the api stores it, sealed with the services' key."""
    sealer = ChannelSealer(SecretStr(channel_secrets_key))

    def seal(url: str, secret: str) -> dict[str, str]:
        label = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
        return {
            "type": "webhook",
            "label": label,
            "sealed": sealer.seal({"url": url, "secret": secret}),
        }

    return seal


@pytest.fixture(scope="session")
def notifier(start_service: StartService, smtp_server: SmtpServer) -> ServiceProcess:
    """The real notifier process, shared by the tests of this package."""
    return start_service("notifier", **notifier_env(smtp_server))


MakeNotifier = Callable[..., Notifier]


@pytest.fixture
def make_notifier(
    service_env: dict[str, str],
    smtp: SmtpServer,
    sessions: async_sessionmaker[AsyncSession],
    broker: Broker,
) -> MakeNotifier:
    """`make_notifier(**settings)`: a notifier in this process (no consumer), to which the
    test hands its events; `settings` override the test notifier's."""

    def make(**settings: object) -> Notifier:
        environment = {**service_env, **notifier_env(smtp)}
        values = {name.lower(): value for name, value in environment.items()} | settings
        notifier_settings = NotifierSettings.model_validate(values)
        return Notifier(
            notifier_settings, sessions, broker, Senders.from_settings(notifier_settings)
        )

    return make


@dataclass(frozen=True)
class ArrangedRun:
    run_id: uuid.UUID
    report_id: uuid.UUID
    report_name: str
    status: RunStatus
    output_path: str | None
    error_message: str | None
    row_count: int | None

    def completed(self) -> RunCompleted:
        return RunCompleted(run_id=self.run_id, report_id=self.report_id, status=self.status)


ArrangeRun = Callable[..., Awaitable[ArrangedRun]]


@pytest.fixture
def arrange_run(db: asyncpg.Connection, output_dir: Path) -> ArrangeRun:
    """Inserts a report and one finished run of it; writes its output file if it succeeded."""

    async def arrange(
        recipients: list[str],
        *,
        name: str | None = None,
        description: str | None = "Sales of the week, by region",
        notify_on: NotifyOn = NotifyOn.ALWAYS,
        status: RunStatus = RunStatus.SUCCESS,
        output: bytes = b"region,total\nnorth,150\n",
        extension: str = "csv",
        channels: list[dict[str, str]] | None = None,
        rows: int = 150,
        empty_result: str = "send",
        deliver_if: list[dict[str, object]] | None = None,
    ) -> ArrangedRun:
        report_id, run_id = uuid.uuid4(), uuid.uuid4()
        name = name or f"Weekly Sales Summary {report_id.hex[:6]}"
        succeeded = status == RunStatus.SUCCESS
        path = output_dir / f"{run_id.hex}.{extension}" if succeeded else None
        if path is not None:
            await asyncio.to_thread(path.write_bytes, output)
        error = None if succeeded else 'relation "sales" does not exist'
        row_count = rows if succeeded else None
        await db.execute(
            "INSERT INTO reports (id, name, description, sql_query, recipients, notify_on,"
            " channels, empty_result, deliver_if)"
            " VALUES ($1, $2, $3, 'SELECT 1', $4, $5, $6::jsonb, $7, $8::jsonb)",
            report_id,
            name,
            description,
            recipients,
            notify_on.value,
            json.dumps(channels or []),
            empty_result,
            json.dumps(deliver_if or []),
        )
        await db.execute(
            "INSERT INTO report_runs (id, report_id, trigger, scheduled_for, status, started_at,"
            " finished_at, row_count, output_path, error_message)"
            " VALUES ($1, $2, 'SCHEDULE', now() - interval '2 minutes', $3,"
            " now() - interval '75 seconds', now(), $4, $5, $6)",
            run_id,
            report_id,
            status.value,
            row_count,
            None if path is None else str(path),
            error,
        )
        return ArrangedRun(
            run_id, report_id, name, status, None if path is None else str(path), error, row_count
        )

    return arrange


@pytest.fixture
def publish(broker: Broker, notifier: ServiceProcess) -> Callable[[RunCompleted], Awaitable[None]]:
    """Publishes an event to the running notifier through RabbitMQ."""
    return broker.publish


async def wait_until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                if await condition():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out after {WAIT_SECONDS}s waiting for {what}") from None


async def notification_rows(db: asyncpg.Connection, run_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM notification_log WHERE run_id = $1 ORDER BY channel, recipient", run_id
    )


async def wait_for_final_rows(
    db: asyncpg.Connection, run_id: uuid.UUID, count: int
) -> dict[str, asyncpg.Record]:
    """Waits until the run has `count` rows, none PENDING; returns them by recipient."""

    async def settled() -> bool:
        rows = await notification_rows(db, run_id)
        return len(rows) == count and all(row["status"] != "PENDING" for row in rows)

    await wait_until(settled, f"{count} final notification rows")
    return {row["recipient"]: row for row in await notification_rows(db, run_id)}
