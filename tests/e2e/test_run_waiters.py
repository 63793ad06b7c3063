"""`?wait` through a real runner: answered with the finished run, even when the API's listening
connection is killed while the run is under way."""

import asyncio

import asyncpg
import httpx

from services.api.run_finishes import LISTENER_APPLICATION_NAME
from tests.support.api import create_report
from tests.support.services import ServiceProcess

KILL_LISTENERS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE application_name = $1 AND datname = current_database()
"""


async def test_a_waiter_gets_the_successful_run(
    client: httpx.AsyncClient, runner: ServiceProcess
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    response = await client.post(f"/api/reports/{report_id}/run", params={"wait": 60})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "SUCCESS"


async def test_a_waiter_survives_the_listening_connection_being_killed(
    client: httpx.AsyncClient, runner: ServiceProcess, db: asyncpg.Connection
) -> None:
    report_id = await create_report(client, "SELECT pg_sleep(2)::text AS slept")
    waiting = asyncio.create_task(client.post(f"/api/reports/{report_id}/run", params={"wait": 60}))
    for _ in range(200):  # the run is committed before the wait begins
        if await db.fetchval("SELECT count(*) FROM report_runs WHERE report_id = $1", report_id):
            break
        await asyncio.sleep(0.05)
    assert await db.fetchval(KILL_LISTENERS, LISTENER_APPLICATION_NAME) >= 1
    response = await waiting
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "SUCCESS"
