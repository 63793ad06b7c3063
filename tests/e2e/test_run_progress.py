"""Progress: a RUNNING run shows its rows and bytes so far, rising while it exports."""

import asyncio
import uuid

import asyncpg
import httpx

from tests.support.api import create_report
from tests.support.runs import wait_for_status
from tests.support.services import ServiceProcess

ROWS = 3_000
# About a millisecond per row, so the export takes a few seconds: several progress ticks.
SLOW_EXPORT = (
    "SELECT g, pg_sleep(0.001)::text AS slept, repeat('x', 100) AS pad "
    f"FROM generate_series(1, {ROWS}) AS g"
)


async def test_a_running_export_shows_rising_progress_and_ends_with_the_exact_count(
    client: httpx.AsyncClient, runner: ServiceProcess, db: asyncpg.Connection
) -> None:
    report_id = await create_report(client, SLOW_EXPORT)
    started = await client.post(f"/api/reports/{report_id}/run")
    run_id = started.json()["id"]
    await wait_for_status(db, uuid.UUID(run_id), {"RUNNING"})
    seen: list[tuple[int, int]] = []
    while True:
        run = (await client.get(f"/api/runs/{run_id}")).json()
        if run["status"] != "RUNNING":
            break
        if run["rows_exported"]:
            seen.append((run["rows_exported"], run["bytes_written"]))
        await asyncio.sleep(0.2)

    distinct = list(dict.fromkeys(seen))  # in the order seen
    assert run["status"] == "SUCCESS", run
    assert len(distinct) >= 2, seen
    assert distinct == sorted(distinct), "progress went back"
    assert all(0 < rows <= ROWS + 1 and size > 0 for rows, size in distinct)
    assert run["rows_exported"] == run["row_count"] == ROWS
    assert run["bytes_written"] == run["byte_size"]
