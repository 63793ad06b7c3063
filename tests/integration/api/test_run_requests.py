"""Manual runs through the API: `?wait` is bounded, and a run deleted while waited for is a 404."""

import asyncio
import time
import uuid

import asyncpg
import httpx

from services.api.settings import ApiSettings
from tests.support.api import api_client, create_report

SHORT_MAXIMUM_SECONDS = 0.5
# Slow enough that a runner started by other tests of the session cannot finish it meanwhile.
SLOW_SQL = "SELECT pg_sleep(5)::text AS slept"
SLOW_SQL_SECONDS = 5


async def _first_run_of(db: asyncpg.Connection, report_id: str) -> uuid.UUID:
    for _ in range(200):
        run_id = await db.fetchval("SELECT id FROM report_runs WHERE report_id = $1", report_id)
        if run_id is not None:
            return uuid.UUID(str(run_id))
        await asyncio.sleep(0.05)
    raise AssertionError(f"no run of report {report_id} was committed")


async def test_wait_is_cut_to_the_configured_maximum(api_settings: ApiSettings) -> None:
    settings = api_settings.model_copy(update={"max_run_wait_seconds": SHORT_MAXIMUM_SECONDS})
    async with api_client(settings) as client:
        report_id = await create_report(client, SLOW_SQL)
        started = time.monotonic()
        response = await client.post(f"/api/reports/{report_id}/run", params={"wait": 60})
        waited = time.monotonic() - started
    assert response.status_code == 202
    assert response.json()["status"] in {"QUEUED", "RUNNING"}
    assert SHORT_MAXIMUM_SECONDS <= waited < SLOW_SQL_SECONDS


async def test_a_run_whose_report_is_deleted_while_waited_for_is_a_404(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    report_id = await create_report(client, SLOW_SQL)
    waiting = asyncio.create_task(client.post(f"/api/reports/{report_id}/run", params={"wait": 30}))
    run_id = await _first_run_of(db, report_id)  # committed before the wait began
    assert (await client.delete(f"/api/reports/{report_id}")).status_code == 204
    response = await waiting
    assert response.status_code == 404
    assert response.json() == {
        "detail": f"run (its report was deleted meanwhile) {run_id} not found"
    }
