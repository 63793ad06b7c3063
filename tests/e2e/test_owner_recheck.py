"""A run re-checks its report's owner when a real runner starts it: a deactivated owner, or
one made a viewer, ends the run FAILED with the reason instead of running the SQL."""

import uuid
from datetime import UTC, datetime

import asyncpg
import httpx

from shared.events import RunRequested
from shared.messaging import Broker
from shared.models import RunTrigger
from tests.support.accounts import create_account
from tests.support.reports import report_body
from tests.support.runs import wait_for_status
from tests.support.services import ServiceProcess

WAIT = 30


async def _editors_report(client: httpx.AsyncClient) -> tuple[str, str]:
    editor = await create_account(client, "editor")
    response = await client.post("/api/reports", json=report_body(), headers=editor.headers)
    assert response.status_code == 201, response.text
    return editor.id, str(response.json()["id"])


async def test_a_scheduled_run_of_a_deactivated_owner_fails_with_the_reason(
    client: httpx.AsyncClient, runner: ServiceProcess, broker: Broker, db: asyncpg.Connection
) -> None:
    owner_id, report_id = await _editors_report(client)
    deactivated = await client.patch(f"/api/users/{owner_id}", json={"is_active": False})
    assert deactivated.status_code == 200, deactivated.text
    slot = datetime.now(UTC).replace(microsecond=0)
    run_id = await db.fetchval(
        "INSERT INTO report_runs (id, report_id, trigger, scheduled_for) "
        "VALUES (gen_random_uuid(), $1::uuid, 'SCHEDULE', $2) RETURNING id",
        report_id,
        slot,
    )
    await broker.publish(
        RunRequested(
            run_id=run_id,
            report_id=uuid.UUID(report_id),
            trigger=RunTrigger.SCHEDULE,
            scheduled_for=slot,
            requested_at=datetime.now(UTC),
        )
    )
    run = await wait_for_status(db, run_id, {"SUCCESS", "FAILED"}, WAIT)
    assert run["status"] == "FAILED"
    assert "deactivated" in run["error_message"]
    assert run["output_path"] is None


async def test_a_run_of_an_owner_made_viewer_fails_and_runs_again_once_handed_over(
    client: httpx.AsyncClient, runner: ServiceProcess
) -> None:
    owner_id, report_id = await _editors_report(client)
    await client.patch(f"/api/users/{owner_id}", json={"role": "viewer"})
    refused = await client.post(f"/api/reports/{report_id}/run", params={"wait": WAIT})
    assert refused.json()["status"] == "FAILED"
    assert "may not run reports" in refused.json()["error_message"]
    admin_id = (await client.get("/api/me")).json()["id"]
    await client.put(f"/api/reports/{report_id}", json={"owner_id": admin_id})
    again = await client.post(f"/api/reports/{report_id}/run", params={"wait": WAIT})
    assert again.json()["status"] == "SUCCESS", again.text
