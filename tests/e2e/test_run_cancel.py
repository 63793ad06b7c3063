"""Cancel: a RUNNING run's query is stopped by its own runner, a QUEUED run ends at once, a
finished run cannot be cancelled; nobody is mailed about a cancelled run."""

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import httpx

from services.api.settings import ApiSettings
from tests.support.api import api_client, create_report, run_and_wait
from tests.support.invariants import assert_invariants
from tests.support.runs import wait_for_status
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY
from tests.support.smtp_server import SmtpServer

RECIPIENT = "ops@example.com"


def _sleeping_sql(marker: str, seconds: int = 60) -> str:
    return f"SELECT pg_sleep({seconds})::text AS slept, '{marker}' AS marker"


async def _backends_running(source_admin_url: str, marker: str) -> int:
    connection = await asyncpg.connect(source_admin_url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'",
            marker,
        )
        return count
    finally:
        await connection.close()


async def _wait_for_backend(source_admin_url: str, marker: str) -> None:
    for _ in range(100):
        if await _backends_running(source_admin_url, marker):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no backend ran the query marked {marker}")


async def _start(client: httpx.AsyncClient, report_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/reports/{report_id}/run")
    assert response.status_code == 202, response.text
    run: dict[str, Any] = response.json()
    return run


async def test_cancelling_a_running_sleep_stops_its_query_within_seconds_and_mails_nobody(
    api_settings: ApiSettings, scenario: Scenario, smtp: SmtpServer
) -> None:
    scenario.start("runner", **FAST_RECOVERY)
    scenario.start("notifier", SMTP_PORT=str(smtp.port))
    marker = f"cancel-{uuid.uuid4().hex[:8]}"
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id = await create_report(
            client, _sleeping_sql(marker), recipients=[RECIPIENT], notify_on="ALWAYS"
        )
        run = await _start(client, report_id)
        await wait_for_status(scenario.db, uuid.UUID(run["id"]), {"RUNNING"})
        await _wait_for_backend(scenario.source.admin_url, marker)

        asked = time.monotonic()
        response = await client.post(f"/api/runs/{run['id']}/cancel")
        finished = await wait_for_status(scenario.db, uuid.UUID(run["id"]), {"CANCELLED"}, 5)
        took = time.monotonic() - asked
        backends = await _backends_running(scenario.source.admin_url, marker)
        download = await client.get(f"/api/runs/{run['id']}/download")
        await asyncio.sleep(2)  # time for the notifier to (not) mail
        notifications = (await client.get(f"/api/runs/{run['id']}/notifications")).json()
        again = await client.post(f"/api/runs/{run['id']}/cancel")
        audit = (await client.get("/api/audit")).json()

    assert response.status_code == 202
    assert response.json()["cancel_requested_at"] is not None
    assert took < 5
    assert backends == 0
    assert finished["output_path"] is None
    assert download.status_code == 409
    assert "CANCELLED" in download.json()["detail"]
    assert list(scenario.output_dir.iterdir()) == []
    assert smtp.handler.received == []
    assert {(row["channel"], row["status"]) for row in notifications} == {
        ("LOG", "SENT"),
        ("EMAIL", "SKIPPED"),
    }
    assert again.status_code == 409
    assert any(entry["action"] == "run.cancelled" for entry in audit)
    await assert_invariants(scenario.db, [report_id], scenario.output_dir)


async def test_a_queued_run_is_cancelled_at_once_while_every_runner_is_busy(
    api_settings: ApiSettings, scenario: Scenario
) -> None:
    scenario.start("runner", RUNNER_CONCURRENCY="1", **FAST_RECOVERY)
    async with api_client(scenario.api_settings(api_settings)) as client:
        busy_report = await create_report(client, _sleeping_sql("busy", 3))
        waiting_report = await create_report(client, "SELECT 1 AS one")
        busy = await _start(client, busy_report)
        await wait_for_status(scenario.db, uuid.UUID(busy["id"]), {"RUNNING"})
        waiting = await _start(client, waiting_report)
        response = await client.post(f"/api/runs/{waiting['id']}/cancel")
        done = await wait_for_status(scenario.db, uuid.UUID(busy["id"]), {"SUCCESS"}, 15)
        await asyncio.sleep(1)  # the runner sees the cancelled run's request, and leaves it
        cancelled = (await client.get(f"/api/runs/{waiting['id']}")).json()

    assert response.status_code == 202
    assert response.json()["status"] == "CANCELLED"
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["started_at"] is None
    assert cancelled["attempts"] == []
    assert done["status"] == "SUCCESS"
    await assert_invariants(scenario.db, [busy_report, waiting_report], scenario.output_dir)


async def test_a_finished_run_cannot_be_cancelled(
    api_settings: ApiSettings, scenario: Scenario
) -> None:
    scenario.start("runner", **FAST_RECOVERY)
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id = await create_report(client, "SELECT 1 AS one")
        run = await run_and_wait(client, report_id, 30)
        response = await client.post(f"/api/runs/{run['id']}/cancel")
        unknown = await client.post(f"/api/runs/{uuid.uuid4()}/cancel")
    assert run["status"] == "SUCCESS"
    assert response.status_code == 409
    assert "SUCCESS" in response.json()["detail"]
    assert unknown.status_code == 404
