"""Retries: a transient failure is tried again (the same run, each attempt listed with its
error); a SQL error is not, whatever max_retries says."""

import asyncio
import uuid

import asyncpg
import httpx

from tests.support.api import create_report
from tests.support.runs import wait_for_status
from tests.support.sandbox import SandboxSource
from tests.support.services import ServiceProcess


async def _terminate_first_backend(source: SandboxSource, marker: str) -> int:
    """Kills the data source connection running the marked query, as a failing network or a
    restarting server would; returns the pid killed."""
    admin = await asyncpg.connect(source.admin_url)
    try:
        for _ in range(100):
            pid: int | None = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND query LIKE '%' || $1 || '%' LIMIT 1",
                marker,
            )
            if pid is not None:
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
                return pid
            await asyncio.sleep(0.05)
    finally:
        await admin.close()
    raise AssertionError(f"no backend ran the query marked {marker}")


async def test_a_lost_data_source_connection_is_retried_and_the_run_succeeds(
    client: httpx.AsyncClient,
    runner: ServiceProcess,
    data_source: SandboxSource,
    db: asyncpg.Connection,
) -> None:
    marker = f"retry-{uuid.uuid4().hex[:8]}"
    report_id = await create_report(
        client,
        f"SELECT pg_sleep(1)::text AS slept, '{marker}' AS marker",
        max_retries=2,
        retry_delay_seconds=1,
    )
    started = await client.post(f"/api/reports/{report_id}/run")
    run_id = uuid.UUID(started.json()["id"])
    await _terminate_first_backend(data_source, marker)
    await wait_for_status(db, run_id, {"SUCCESS", "FAILED"}, within=30)
    run = (await client.get(f"/api/runs/{run_id}")).json()

    assert run["status"] == "SUCCESS", run
    assert run["attempt"] == 2
    assert [attempt["number"] for attempt in run["attempts"]] == [1, 2]
    first, second = run["attempts"]
    assert "connection" in first["error"] or "terminating" in first["error"], first
    assert first["finished_at"] is not None
    assert second["error"] is None
    assert second["started_at"] >= first["finished_at"]
    assert run["row_count"] == 1


async def test_a_sql_error_is_not_retried(
    client: httpx.AsyncClient, runner: ServiceProcess, db: asyncpg.Connection
) -> None:
    report_id = await create_report(
        client,
        "SELECT 1 / (g - g) AS boom FROM generate_series(1, 3) AS g",
        max_retries=3,
        retry_delay_seconds=1,
    )
    started = await client.post(f"/api/reports/{report_id}/run")
    run_id = uuid.UUID(started.json()["id"])
    await wait_for_status(db, run_id, {"SUCCESS", "FAILED"}, within=30)
    await asyncio.sleep(2)  # a retry would have been claimed by now
    run = (await client.get(f"/api/runs/{run_id}")).json()

    assert run["status"] == "FAILED"
    assert run["error_message"] == "division by zero"
    assert run["attempt"] == 1
    assert len(run["attempts"]) == 1
    assert run["attempts"][0]["error"] == "division by zero"


async def test_retry_settings_have_limits_named_in_the_answer(client: httpx.AsyncClient) -> None:
    too_many = await client.post(
        "/api/reports", json={"name": "r", "sql_query": "SELECT 1", "max_retries": 1000}
    )
    no_delay = await client.post(
        "/api/reports", json={"name": "r", "sql_query": "SELECT 1", "retry_delay_seconds": 0}
    )
    bad_overlap = await client.post(
        "/api/reports", json={"name": "r", "sql_query": "SELECT 1", "overlap": "sometimes"}
    )
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["body", "max_retries"]
    assert no_delay.status_code == 422
    assert no_delay.json()["detail"][0]["loc"] == ["body", "retry_delay_seconds"]
    assert bad_overlap.status_code == 422
    assert bad_overlap.json()["detail"][0]["loc"] == ["body", "overlap"]
