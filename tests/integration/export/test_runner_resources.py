"""A big export keeps the runner's memory flat and leaves its event loop free for other runs."""

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from services.api.settings import ApiSettings
from shared.messaging import delete_namespace
from tests.integration.export.conftest import run_report
from tests.support.api import api_client, create_report
from tests.support.databases import migrated_database
from tests.support.environment import ADMIN_DSN, AMQP_URL
from tests.support.services import ServiceProcess, StartService

FLAT_MEMORY_BYTES = 50 * 1024 * 1024
SMALL_ROWS, BIG_ROWS = 200_000, 1_000_000
ROWS = (
    "SELECT g AS id, md5(g::text) AS label, g * 1.25 AS amount, "
    "timestamptz '2024-01-01 00:00+00' + g * interval '1 second' AS at, g % 2 = 0 AS even "
    "FROM generate_series(1, {rows}) AS g"
)
XLSX_ROWS = "SELECT g AS id, md5(g::text) AS label FROM generate_series(1, {rows}) AS g"


def _reset_peak(process: ServiceProcess) -> None:
    assert process.process is not None
    Path(f"/proc/{process.process.pid}/clear_refs").write_text("5")


def _peak_bytes(process: ServiceProcess) -> int:
    assert process.process is not None
    status = Path(f"/proc/{process.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


async def _peak_of_run(client: httpx.AsyncClient, runner: ServiceProcess, report_id: str) -> int:
    _reset_peak(runner)
    await run_report(client, report_id)
    return _peak_bytes(runner)


@pytest.mark.parametrize(
    ("output_format", "compression"),
    [("CSV", "none"), ("CSV", "gzip"), ("JSON", "none"), ("JSONL", "gzip"), ("XLSX", "none")],
)
async def test_runner_memory_stays_flat_as_the_export_grows(
    export_client: httpx.AsyncClient,
    export_runner: ServiceProcess,
    output_format: str,
    compression: str,
) -> None:
    fields = {"output_format": output_format, "compression": compression}
    small_report = await create_report(export_client, ROWS.format(rows=SMALL_ROWS), **fields)
    big_report = await create_report(export_client, ROWS.format(rows=BIG_ROWS), **fields)

    small_peak = await _peak_of_run(export_client, export_runner, small_report)
    big_peak = await _peak_of_run(export_client, export_runner, big_report)

    assert big_peak - small_peak < FLAT_MEMORY_BYTES, (small_peak, big_peak)


@pytest.fixture
async def busy_namespace(amqp_namespace: str) -> AsyncIterator[str]:
    namespace = f"{amqp_namespace}-busy"
    yield namespace
    await delete_namespace(AMQP_URL, namespace)


@pytest.fixture
async def busy_record_url(run_id: str, migrated_template: str) -> AsyncIterator[str]:
    """The deployment's own system of record, so no other test service relays its runs."""
    name = f"reportflow_test_{run_id}_busy"
    async with migrated_database(ADMIN_DSN, name, migrated_template) as url:
        yield url


@pytest.fixture
async def busy_db(busy_record_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(busy_record_url)
    yield connection
    await connection.close()


async def test_small_report_finishes_while_a_big_export_runs(
    start_service: StartService,
    api_settings: ApiSettings,
    busy_namespace: str,
    busy_record_url: str,
    busy_db: asyncpg.Connection,
) -> None:
    """XLSX keeps a worker thread busy the longest; the loop must still serve runs and leases."""
    runner = start_service(
        "runner",
        AMQP_NAMESPACE=busy_namespace,
        DATABASE_URL=busy_record_url,
        RUNNER_CONCURRENCY="2",
        LEASE_SECONDS="3",
        SHUTDOWN_TIMEOUT_SECONDS="0",
        CSV_ENGINE="cursor",
    )
    settings = api_settings.model_copy(
        update={"amqp_namespace": busy_namespace, "database_url": SecretStr(busy_record_url)}
    )
    async with api_client(settings) as client:
        big = await create_report(client, XLSX_ROWS.format(rows=2_000_000), output_format="XLSX")
        small = await create_report(client, ROWS.format(rows=1000))
        big_run = (await client.post(f"/api/reports/{big}/run")).json()
        leases = [await _lease_when_running(busy_db, big_run["id"])]

        small_run = await run_report(client, small)
        for _ in range(2):
            await asyncio.sleep(1.2)
            leases.append(await _lease_when_running(busy_db, big_run["id"]))

    runner.stop()
    assert small_run["row_count"] == 1000
    assert leases == sorted(set(leases)), (leases, runner.log_text()[-3000:])


async def _lease_when_running(db: asyncpg.Connection, run_id: str) -> datetime:
    for _ in range(100):
        run = await db.fetchrow(
            "SELECT status, lease_expires_at FROM report_runs WHERE id = $1::uuid", run_id
        )
        assert run is not None
        if run["status"] == "RUNNING":
            lease: datetime = run["lease_expires_at"]
            return lease
        assert run["status"] == "QUEUED", dict(run)
        await asyncio.sleep(0.1)
    raise AssertionError("the big run never started")
