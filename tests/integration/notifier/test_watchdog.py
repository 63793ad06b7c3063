"""The watchdog in-process on a database of its own, with the real SMTP server and RabbitMQ:
two watchdogs open one alert and send one notice; failing deliveries and overdue runs open
and resolve; a notice whose notifier died is never re-sent; growing dead letters alert."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aio_pika
import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier.alert_notices import AlertNotices
from services.notifier.mailer import SmtpMailer
from services.notifier.settings import NotifierSettings
from services.notifier.watchdog import Watchdog
from shared.messaging import Broker
from shared.settings import BrokerSettings
from shared.topology import RUNNER_QUEUE, Topology
from tests.support.accounts import ADMIN_EMAIL
from tests.support.databases import migrated_database, sessions_on
from tests.support.environment import ADMIN_DSN, AMQP_URL
from tests.support.queues import declare_queues_of
from tests.support.smtp_server import ReceivedMail, SmtpServer


@dataclass
class System:
    db: asyncpg.Connection
    sessions: async_sessionmaker[AsyncSession]
    broker: Broker
    settings: NotifierSettings

    def watchdog(self) -> Watchdog:
        notices = AlertNotices(self.settings, self.sessions, SmtpMailer(self.settings))
        return Watchdog(self.settings, self.sessions, self.broker, notices)


@pytest.fixture(scope="module")
async def system(
    run_id: str, service_env: dict[str, str], smtp_server: SmtpServer, extra_namespaces: list[str]
) -> AsyncIterator[System]:
    namespace = f"{service_env['AMQP_NAMESPACE']}-watchdog-{uuid.uuid4().hex[:6]}"
    extra_namespaces.append(namespace)
    async with migrated_database(ADMIN_DSN, f"reportflow_test_{run_id}_watchdog") as url:
        values: dict[str, Any] = {key.lower(): value for key, value in service_env.items()}
        settings = NotifierSettings.model_validate(
            {
                **values,
                "database_url": url,
                "amqp_namespace": namespace,
                "smtp_port": smtp_server.port,
                "smtp_timeout_seconds": 2,
                "notifier_claim_timeout_seconds": 30,
                "alert_run_overdue_margin_seconds": 60,
            }
        )
        broker = Broker(BrokerSettings(amqp_url=AMQP_URL, amqp_namespace=namespace))
        await broker.connect()
        db = await asyncpg.connect(url)
        await db.execute(
            "INSERT INTO accounts (id, email, password_hash, role) "
            "VALUES (gen_random_uuid(), $1, 'x', 'admin')",
            ADMIN_EMAIL,
        )
        try:
            async with sessions_on(url) as sessions:
                yield System(db, sessions, broker, settings)
        finally:
            await db.close()
            await broker.close()


async def _owned_report(db: asyncpg.Connection, **columns: object) -> tuple[uuid.UUID, str]:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    owner = await db.fetchval(
        "INSERT INTO accounts (id, email, password_hash, role) "
        "VALUES (gen_random_uuid(), $1, 'x', 'editor') RETURNING id",
        email,
    )
    names = ", ".join(columns)
    placeholders = ", ".join(f"${index}" for index in range(3, 3 + len(columns)))
    report_id = await db.fetchval(
        f"INSERT INTO reports (id, name, sql_query, owner_id{', ' if columns else ''}{names}) "
        f"VALUES (gen_random_uuid(), $1, 'SELECT 1', $2{', ' if columns else ''}{placeholders}) "
        "RETURNING id",
        f"Watched {uuid.uuid4().hex[:8]}",
        owner,
        *columns.values(),
    )
    return report_id, email


async def _run(
    db: asyncpg.Connection, report_id: uuid.UUID, status: str, ago: timedelta = timedelta()
) -> uuid.UUID:
    finished = "now() - $3::interval" if status != "RUNNING" else "NULL"
    run_id: uuid.UUID = await db.fetchval(
        "INSERT INTO report_runs (id, report_id, trigger, status, started_at, finished_at, "
        f"error_message) VALUES (gen_random_uuid(), $1, 'MANUAL', $2::text, now() - $3::interval, "
        f"{finished}, CASE WHEN $2::text = 'FAILED' THEN 'relation \"gone\" does not exist' END) "
        "RETURNING id",
        report_id,
        status,
        ago,
    )
    return run_id


async def _alerts(db: asyncpg.Connection, report_id: uuid.UUID, kind: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM alerts WHERE report_id = $1 AND kind = $2 ORDER BY since", report_id, kind
    )


def _mails(smtp: SmtpServer, alert_id: uuid.UUID) -> list[ReceivedMail]:
    return [
        mail
        for mail in smtp.handler.received
        if mail.message["X-ReportFlow-Alert-Id"] == str(alert_id)
    ]


async def _assert_owner_told_once(
    system: System, smtp: SmtpServer, report_id: uuid.UUID, owner: str, attempts: int
) -> None:
    """One run_failing alert for the report, its notice sent to the owner on that attempt."""
    [alert] = await _alerts(system.db, report_id, "run_failing")
    assert alert["notice_sent_at"] is not None
    assert alert["notice_attempts"] == attempts
    assert [mail.recipient for mail in _mails(smtp, alert["id"])] == [owner]


async def _assert_resolved_after_one_notice(
    system: System, smtp: SmtpServer, watchdog: Watchdog, report_id: uuid.UUID, kind: str
) -> None:
    await watchdog.check_once()
    [alert] = await _alerts(system.db, report_id, kind)
    assert alert["resolved_at"] is not None
    assert len(_mails(smtp, alert["id"])) == 1


async def test_two_watchdogs_open_one_alert_and_send_one_notice(
    system: System, smtp: SmtpServer
) -> None:
    report_id, owner = await _owned_report(system.db)
    await _run(system.db, report_id, "FAILED")
    first, second = system.watchdog(), system.watchdog()
    for _ in range(3):
        await asyncio.gather(first.check_once(), second.check_once())
    await _assert_owner_told_once(system, smtp, report_id, owner, attempts=1)


async def test_a_failing_report_whose_owner_was_deactivated_tells_the_admins(
    system: System, smtp: SmtpServer
) -> None:
    report_id, owner = await _owned_report(system.db)
    await system.db.execute("UPDATE accounts SET is_active = false WHERE email = $1", owner)
    await _run(system.db, report_id, "FAILED")
    await system.watchdog().check_once()
    [alert] = await _alerts(system.db, report_id, "run_failing")
    assert [mail.recipient for mail in _mails(smtp, alert["id"])] == [ADMIN_EMAIL]


async def test_a_failing_report_that_asks_tells_its_recipients_too_but_not_of_deliveries(
    system: System, smtp: SmtpServer
) -> None:
    reader = f"reader-{uuid.uuid4().hex[:8]}@example.com"
    report_id, owner = await _owned_report(
        system.db, recipients=[reader], failure_notice_recipients=True
    )
    run_id = await _run(system.db, report_id, "FAILED")
    await system.db.execute(
        "INSERT INTO notification_log (id, run_id, channel, recipient, status, attempts) "
        "VALUES (gen_random_uuid(), $1, 'EMAIL', $2, 'FAILED', 1)",
        run_id,
        reader,
    )
    await system.watchdog().check_once()
    [failing] = await _alerts(system.db, report_id, "run_failing")
    [delivery] = await _alerts(system.db, report_id, "delivery_failing")
    assert sorted(mail.recipient for mail in _mails(smtp, failing["id"])) == sorted([owner, reader])
    assert [mail.recipient for mail in _mails(smtp, delivery["id"])] == [owner]


async def test_a_failed_delivery_alerts_until_that_target_gets_one_again(
    system: System, smtp: SmtpServer
) -> None:
    report_id, _ = await _owned_report(system.db)
    run_id = await _run(system.db, report_id, "SUCCESS")
    insert = (
        "INSERT INTO notification_log (id, run_id, channel, recipient, status, error_message, "
        "attempts, resend_id) VALUES (gen_random_uuid(), $1, 'EMAIL', 'ana@example.com', $2, "
        "$3, 1, $4)"
    )
    await system.db.execute(insert, run_id, "FAILED", "550 no such user", None)
    watchdog = system.watchdog()
    await watchdog.check_once()
    [alert] = await _alerts(system.db, report_id, "delivery_failing")
    assert alert["target"] == "EMAIL:ana@example.com"
    assert alert["resolved_at"] is None
    assert "550 no such user" in alert["details"]
    await system.db.execute(insert, run_id, "SENT", None, uuid.uuid4())
    await _assert_resolved_after_one_notice(system, smtp, watchdog, report_id, "delivery_failing")


async def test_a_run_past_its_timeout_and_the_margin_is_overdue_until_it_ends(
    system: System, smtp: SmtpServer
) -> None:
    report_id, _ = await _owned_report(system.db, timeout_seconds=60)
    late = await _run(system.db, report_id, "RUNNING", timedelta(minutes=3))
    await _run(system.db, report_id, "RUNNING", timedelta(seconds=90))  # within the margin
    watchdog = system.watchdog()
    await watchdog.check_once()
    [alert] = await _alerts(system.db, report_id, "run_overdue")
    assert alert["target"] == str(late)
    await system.db.execute(
        "UPDATE report_runs SET status = 'CANCELLED', finished_at = now() WHERE id = $1", late
    )
    await _assert_resolved_after_one_notice(system, smtp, watchdog, report_id, "run_overdue")


async def test_a_notice_whose_notifier_died_mid_send_is_flagged_and_never_sent(
    system: System, smtp: SmtpServer
) -> None:
    report_id, _ = await _owned_report(system.db)
    alert_id = await system.db.fetchval(
        "INSERT INTO alerts (id, kind, report_id, notice_claimed_at, notice_attempts) "
        "VALUES (gen_random_uuid(), 'run_failing', $1, now() - interval '1 hour', 1) "
        "RETURNING id",
        report_id,
    )
    await _run(system.db, report_id, "FAILED")
    await system.watchdog().check_once()
    alert = await system.db.fetchrow("SELECT * FROM alerts WHERE id = $1", alert_id)
    assert alert is not None
    assert alert["notice_error"].startswith("outcome unknown")
    assert alert["notice_sent_at"] is None
    assert _mails(smtp, alert_id) == []


async def test_a_notice_nobody_got_while_the_mail_server_was_down_is_sent_later(
    system: System, smtp: SmtpServer
) -> None:
    report_id, owner = await _owned_report(system.db)
    await _run(system.db, report_id, "FAILED")
    watchdog = system.watchdog()
    smtp.stop()
    await watchdog.check_once()
    [alert] = await _alerts(system.db, report_id, "run_failing")
    assert alert["notice_sent_at"] is None
    assert alert["notice_claimed_at"] is None
    assert alert["notice_error"]
    smtp.start()
    await watchdog.check_once()
    await _assert_owner_told_once(system, smtp, report_id, owner, attempts=2)


async def test_a_growing_dead_letter_queue_alerts_the_admins_until_it_is_emptied(
    system: System, smtp: SmtpServer
) -> None:
    topology = Topology(system.settings.amqp_namespace)
    await declare_queues_of(AMQP_URL, topology, RUNNER_QUEUE)
    dead_letters = topology.dead_letter_queue(RUNNER_QUEUE)
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        await channel.default_exchange.publish(aio_pika.Message(b"{}"), routing_key=dead_letters)
        watchdog = system.watchdog()
        for _ in range(50):  # a quorum queue counts the message a moment later
            await watchdog.check_once()
            found = await system.db.fetch(
                "SELECT * FROM alerts WHERE kind = 'dead_letters_growing' AND target = $1",
                dead_letters,
            )
            if found:
                break
            await asyncio.sleep(0.1)
        [alert] = found
        assert [mail.recipient for mail in _mails(smtp, alert["id"])] == [ADMIN_EMAIL]
        queue = await channel.declare_queue(dead_letters, passive=True)
        await queue.purge()
    finally:
        await connection.close()
    await watchdog.check_once()
    assert await system.db.fetchval(
        "SELECT resolved_at IS NOT NULL FROM alerts WHERE id = $1", alert["id"]
    )
