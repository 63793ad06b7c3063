"""The dead-man's switch through the running services: a stopped scheduler is noticed by the
notifier (scheduler_down to the admins, missed_slot to the report's owner) and resolved once a
scheduler leads again; a failing report tells its owner once per streak of failures."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import httpx

from services.api.settings import ApiSettings
from tests.support.accounts import ADMIN_EMAIL, create_account
from tests.support.api import api_client, run_and_wait
from tests.support.reports import report_body
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY
from tests.support.smtp_server import ReceivedMail, SmtpServer

T = TypeVar("T")
DOWN_GRACE_SECONDS = 15
WATCHDOG = {
    "ALERT_CHECK_INTERVAL_SECONDS": "0.5",
    "ALERT_SCHEDULER_DOWN_GRACE_SECONDS": str(DOWN_GRACE_SECONDS),
    "ALERT_MISSED_SLOT_GRACE_SECONDS": "5",
}
# Generous: the machine is shared; the behaviour is what is asserted, not the speed.
WITHIN_SECONDS = 150.0


async def _eventually(
    check: Callable[[], Awaitable[T | None]], what: str, within: float = WITHIN_SECONDS
) -> T:
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {within} s")
        await asyncio.sleep(0.3)


def _alert_mails(smtp: SmtpServer, kind: str) -> list[ReceivedMail]:
    return [
        mail for mail in smtp.handler.received if mail.message["X-ReportFlow-Alert-Kind"] == kind
    ]


async def _alerts(db: asyncpg.Connection, kind: str) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM alerts WHERE kind = $1 ORDER BY since", kind)


async def _notified_open_alert(db: asyncpg.Connection, kind: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT * FROM alerts WHERE kind = $1 AND resolved_at IS NULL "
        "AND notice_sent_at IS NOT NULL",
        kind,
    )


async def _resolved(db: asyncpg.Connection, alert_id: object) -> bool:
    return bool(
        await db.fetchval("SELECT resolved_at IS NOT NULL FROM alerts WHERE id = $1", alert_id)
    )


async def _owned_report(client: httpx.AsyncClient, **fields: Any) -> tuple[str, str]:
    """(report id, owner's e-mail): a report an editor made, mailing nobody on its runs."""
    editor = await create_account(client, "editor")
    body = report_body(recipients=[], **fields)
    response = await client.post("/api/reports", json=body, headers=editor.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"]), editor.email


async def test_a_stopped_scheduler_alerts_the_admins_and_the_owner_and_clears_on_restart(
    api_settings: ApiSettings, scenario: Scenario, smtp: SmtpServer
) -> None:
    db = scenario.db
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id, owner = await _owned_report(client, schedule_cron="* * * * *")
        scheduler = scenario.start("scheduler")
        await _eventually(
            lambda: db.fetchval("SELECT beat_at FROM service_heartbeats WHERE service='scheduler'"),
            "a heartbeat",
        )
        scenario.start("notifier", **smtp.notifier_env(), **WATCHDOG)
        scheduler.stop()
        last_beat = await db.fetchval(
            "SELECT beat_at FROM service_heartbeats WHERE service='scheduler'"
        )

        down = await _eventually(
            lambda: _notified_open_alert(db, "scheduler_down"), "scheduler_down mailed"
        )
        # Not before the grace: a scheduler between two heartbeats is not down.
        assert (down["since"] - last_beat).total_seconds() >= DOWN_GRACE_SECONDS
        assert [mail.recipient for mail in _alert_mails(smtp, "scheduler_down")] == [ADMIN_EMAIL]
        missed = await _eventually(
            lambda: _notified_open_alert(db, "missed_slot"), "missed_slot mailed"
        )
        assert str(missed["report_id"]) == report_id
        assert [mail.recipient for mail in _alert_mails(smtp, "missed_slot")] == [owner]
        mail = _alert_mails(smtp, "missed_slot")[0].message
        assert "missed_slot" in str(mail["Subject"])
        assert "slot" in missed["details"]

        listed = await client.get("/api/alerts", params={"open": "true"})
        assert {alert["kind"] for alert in listed.json()} >= {"scheduler_down", "missed_slot"}

        scenario.start("scheduler")
        await _eventually(lambda: _resolved(db, down["id"]), "scheduler_down resolved")
        # The restarted scheduler catches up the latest missed slot: a run for it.
        await _eventually(lambda: _resolved(db, missed["id"]), "missed_slot resolved")
        # Told once each, and nothing more once resolved.
        assert len(_alert_mails(smtp, "scheduler_down")) == 1
        assert len(_alert_mails(smtp, "missed_slot")) == 1
        listed = await client.get("/api/alerts", params={"open": "true"})
        assert listed.json() == []


async def test_a_failing_report_tells_its_owner_once_per_streak_of_failures(
    api_settings: ApiSettings, scenario: Scenario, smtp: SmtpServer
) -> None:
    db = scenario.db
    scenario.start("runner", **FAST_RECOVERY)
    scenario.start("notifier", **smtp.notifier_env(), **WATCHDOG)
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id, owner = await _owned_report(client, sql_query="SELECT 1 / 0 AS broken")

        async def run(expected: str) -> None:
            finished = await run_and_wait(client, report_id, 60)
            assert finished["status"] == expected, finished

        async def use_sql(sql: str) -> None:
            response = await client.put(f"/api/reports/{report_id}", json={"sql_query": sql})
            assert response.status_code == 200, response.text

        await run("FAILED")
        first = await _eventually(lambda: _notified_open_alert(db, "run_failing"), "a notice")
        await run("FAILED")
        await _eventually(
            lambda: db.fetchval(
                "SELECT last_seen > $1 FROM alerts WHERE id = $2", first["last_seen"], first["id"]
            ),
            "the second failure seen",
        )
        mails = _alert_mails(smtp, "run_failing")
        assert [mail.recipient for mail in mails] == [owner]
        text = mails[0].message.get_body(("plain",))
        assert text is not None
        assert "division by zero" in text.get_content()
        assert len(await _alerts(db, "run_failing")) == 1

        await use_sql("SELECT 1 AS one")
        await run("SUCCESS")
        await _eventually(lambda: _resolved(db, first["id"]), "resolved by a success")

        await use_sql("SELECT 1 / 0 AS broken")
        await run("FAILED")
        second = await _eventually(
            lambda: _notified_open_alert(db, "run_failing"), "a new streak's notice"
        )
        assert second["id"] != first["id"]
        assert len(_alert_mails(smtp, "run_failing")) == 2
        assert len(await _alerts(db, "run_failing")) == 2
