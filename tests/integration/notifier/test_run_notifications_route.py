"""GET /api/runs/{id}/notifications: a run's notification log as the API shows it."""

import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx

from shared.events import RunCompleted
from tests.integration.notifier.conftest import ArrangeRun, wait_for_final_rows
from tests.support.smtp_server import SmtpServer


async def test_a_runs_notifications_are_listed(
    smtp: SmtpServer,
    arrange_run: ArrangeRun,
    publish: Callable[[RunCompleted], Awaitable[None]],
    db: asyncpg.Connection,
    client: httpx.AsyncClient,
) -> None:
    smtp.handler.replies["nobody@example.com"] = "550 5.1.1 User unknown"
    run = await arrange_run(["ana@example.com", "nobody@example.com"])
    await publish(run.completed())
    await wait_for_final_rows(db, run.run_id, count=3)

    response = await client.get(f"/api/runs/{run.run_id}/notifications")

    assert response.status_code == 200
    listed = {row["recipient"]: row for row in response.json()}
    assert {recipient: row["status"] for recipient, row in listed.items()} == {
        "system": "SENT",
        "ana@example.com": "SENT",
        "nobody@example.com": "FAILED",
    }
    assert listed["nobody@example.com"]["error_message"] == "550 5.1.1 User unknown"
    assert listed["ana@example.com"]["channel"] == "EMAIL"
    assert listed["ana@example.com"]["attempts"] == 1
    assert "password" not in response.text.lower()


async def test_an_unknown_run_has_no_notifications(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/runs/{uuid.uuid4()}/notifications")

    assert response.status_code == 404
