"""The runner keeps data source connections between runs: nothing a run leaves in its session
reaches the next run, and a connection whose run did not succeed, or that decoded rows, is not
kept."""

import asyncio
import csv
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from services.runner.exporters.request import ExportFailed, ExportRequest
from services.runner.exporters.selector import CsvEngine, Exporter
from services.runner.exporters.source_connections import DataSourceConnections
from shared.events import utc_now
from shared.models import OutputFormat
from tests.support.environment import ADMIN_DSN

# Every kind of session state a report's SQL can set from a SELECT on the sandboxed role.
LEAVES_STATE_BEHIND = (
    "SELECT pg_backend_pid() AS pid, "
    "set_config('search_path', 'pg_temp', false) AS path, "
    "set_config('reportflow.left_behind', 'yes', false) AS custom, "
    "set_config('default_transaction_read_only', 'off', false) AS read_only, "
    "set_config('statement_timeout', '0', false) AS lifted, "
    "pg_advisory_lock(4242)::text AS locked"
)
SESSION_STATE = (
    "SELECT pg_backend_pid() AS pid, current_setting('search_path') AS path, "
    "current_setting('reportflow.left_behind', true) AS custom, "
    "current_setting('default_transaction_read_only') AS read_only, "
    "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND pid = pg_backend_pid()) AS advisory_locks"
)
BACKEND = "SELECT pg_backend_pid() AS pid"


@pytest.fixture
async def exporter(data_source_url: str, tmp_path: Path) -> AsyncIterator[Exporter]:
    """An exporter that keeps one connection, as the runner with RUNNER_CONCURRENCY=1."""
    exporter = Exporter(data_source_url, tmp_path, 60, keep_connections=1)
    yield exporter
    await exporter.close()


async def _rows(
    exporter: Exporter,
    sql: str,
    output_format: OutputFormat = OutputFormat.CSV,
    timeout_seconds: float | None = None,
) -> list[list[str]]:
    request = ExportRequest(
        uuid.uuid4().hex,
        "Kept connections",
        sql,
        utc_now(),
        output_format,
        timeout_seconds=timeout_seconds,
    )
    result = await exporter.export(request)
    if output_format != OutputFormat.CSV:
        return []
    return list(csv.reader(result.path.read_text().splitlines()))[1:]


async def _pid(exporter: Exporter) -> str:
    ((pid,),) = await _rows(exporter, BACKEND)
    return pid


@pytest.fixture
async def data_source_admin_url(data_source_url: str) -> str:
    """The data source's database as a superuser (the reader role may not create a thing)."""
    connection = await asyncpg.connect(data_source_url)
    try:
        database = await connection.fetchval("SELECT current_database()")
    finally:
        await connection.close()
    return f"{ADMIN_DSN.rpartition('/')[0]}/{database}"


async def test_what_a_run_leaves_in_its_session_does_not_reach_the_next_run(
    exporter: Exporter, data_source_url: str
) -> None:
    (left,) = await _rows(exporter, LEAVES_STATE_BEHIND)
    connection = await asyncpg.connect(data_source_url)
    try:
        fresh = await connection.fetchrow(
            "SELECT current_setting('search_path') AS path, "
            "current_setting('default_transaction_read_only') AS read_only"
        )
    finally:
        await connection.close()

    (state,) = await _rows(exporter, SESSION_STATE)

    assert state[0] == left[0]  # the same connection, kept
    assert fresh is not None
    assert state[1:] == [fresh["path"], "", fresh["read_only"], "0"]


async def test_the_statement_timeout_still_holds_after_a_run_lifted_it_for_its_session(
    exporter: Exporter,
) -> None:
    first = await _pid(exporter)
    await _rows(exporter, "SELECT set_config('statement_timeout', '0', false) AS lifted")
    with pytest.raises(ExportFailed, match="timeout"):
        await _rows(exporter, "SELECT pg_sleep(3) AS slept", timeout_seconds=0.3)
    assert await _pid(exporter) != first  # the timed-out run's connection was closed


async def test_a_failed_run_closes_its_connection(exporter: Exporter) -> None:
    first = await _pid(exporter)
    assert await _pid(exporter) == first
    with pytest.raises(ExportFailed, match="division by zero"):
        await _rows(exporter, "SELECT 1 / 0 AS boom")
    assert await _pid(exporter) != first


@pytest.mark.parametrize("engine", [CsvEngine.CURSOR, CsvEngine.COPY])
async def test_a_run_that_decoded_rows_closes_its_connection(
    data_source_url: str, tmp_path: Path, engine: CsvEngine
) -> None:
    """The cursor and XLSX engines change the connection's type codecs; COPY decodes nothing."""
    exporter = Exporter(data_source_url, tmp_path, 60, engine, keep_connections=1)
    try:
        first = await _pid(exporter)
        await _rows(exporter, "SELECT 1 AS one, now() AS at", OutputFormat.XLSX)
        second = await _pid(exporter)
        assert second != first
        assert (await _pid(exporter) == second) == (engine == CsvEngine.COPY)
    finally:
        await exporter.close()


@pytest.mark.parametrize("settle_seconds", [0.0, 0.3])
async def test_a_kept_connection_the_server_dropped_is_replaced(
    exporter: Exporter, data_source_url: str, settle_seconds: float
) -> None:
    """At once, and once the backend has exited and its farewell reached the idle client
    (asyncpg then refuses the next BEGIN with an InternalClientError: seen in CI)."""
    first = await _pid(exporter)
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", int(first))
    finally:
        await admin.close()
    await asyncio.sleep(settle_seconds)
    assert await _pid(exporter) != first


async def test_the_reset_removes_what_sql_outside_a_report_could_leave(
    data_source_admin_url: str,
) -> None:
    """Temporary tables, LISTEN, prepared statements and held cursors cannot come from a
    report (one read-only SELECT, no TEMP right), but the reset removes them too."""
    connections = DataSourceConnections(data_source_admin_url, keep_idle=1)
    connection = await connections.connect()
    try:
        await connection.execute(
            "CREATE TEMP TABLE left_behind (id int); LISTEN left_behind; "
            "PREPARE left_behind AS SELECT 1; "
            "DECLARE left_behind CURSOR WITH HOLD FOR SELECT 1; "
            "SET search_path = pg_temp; SELECT pg_advisory_lock(4242)"
        )
        await connections.release(connection, keep=True)
        kept = await connections.kept()
        assert kept is connection
        state = await kept.fetchrow(
            "SELECT to_regclass('pg_temp.left_behind') AS temp_table, "
            "(SELECT count(*) FROM pg_listening_channels()) AS listening, "
            "(SELECT count(*) FROM pg_prepared_statements WHERE name = 'left_behind') AS prepared, "
            "(SELECT count(*) FROM pg_cursors WHERE name = 'left_behind') AS cursors, "
            "(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid()) AS locks, "
            "current_setting('search_path') AS path"
        )
        assert state is not None
        assert dict(state) == {
            "temp_table": None,
            "listening": 0,
            "prepared": 0,
            "cursors": 0,
            "locks": 0,
            "path": '"$user", public',
        }
        await connections.release(kept, keep=True)
    finally:
        await connections.close()
        await connection.close()
