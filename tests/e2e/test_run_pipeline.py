"""A report run end to end: API → RabbitMQ → runner process → file → download."""

from pathlib import Path

import asyncpg

from services.api.settings import ApiSettings
from shared.messaging import Broker
from tests.support.api import api_client, create_report, run_and_wait
from tests.support.psql import psql_copy_csv
from tests.support.reports import unique_name
from tests.support.runs import queued_run, wait_for_status
from tests.support.sandbox import SandboxSource
from tests.support.services import ServiceProcess

AWKWARD_QUERY = "SELECT * FROM awkward_values ORDER BY id"
WAIT = 30


async def test_downloaded_csv_is_byte_identical_to_psql_copy(
    api_settings: ApiSettings, runner: ServiceProcess, data_source: SandboxSource, tmp_path: Path
) -> None:
    async with api_client(api_settings) as client:
        report_id = await create_report(client, AWKWARD_QUERY)
        run = await run_and_wait(client, report_id, WAIT)
        assert run["status"] == "SUCCESS", run
        download = await client.get(f"/api/runs/{run['id']}/download")

    expected = psql_copy_csv(data_source.reader_url, AWKWARD_QUERY, tmp_path / "psql.csv")
    assert download.status_code == 200
    assert download.content == expected
    assert run["row_count"] == 7
    assert run["byte_size"] == len(expected)
    assert download.headers["content-type"].startswith("text/csv")
    assert Path(str(run["output_path"])).name in download.headers["content-disposition"]


async def test_queued_run_is_answered_at_once_with_202(
    api_settings: ApiSettings, runner: ServiceProcess
) -> None:
    async with api_client(api_settings) as client:
        report_id = await create_report(client, "SELECT pg_sleep(0.5)::text AS slept")
        response = await client.post(f"/api/reports/{report_id}/run")
        assert response.status_code == 202
        assert response.json()["status"] == "QUEUED"
        assert response.json()["trigger"] == "MANUAL"
        early = await client.get(f"/api/runs/{response.json()['id']}/download")
        assert early.status_code == 409


async def test_failing_sql_ends_failed_with_postgresql_message(
    api_settings: ApiSettings, runner: ServiceProcess
) -> None:
    async with api_client(api_settings) as client:
        report_id = await create_report(client, "SELECT 1 / (id - id) AS boom FROM victims")
        run = await run_and_wait(client, report_id, WAIT)
        download = await client.get(f"/api/runs/{run['id']}/download")
    assert run["status"] == "FAILED"
    assert run["error_message"] == "division by zero"
    assert run["output_path"] is None
    assert download.status_code == 409
    assert "division by zero" in download.json()["detail"]


async def test_run_history_is_newest_first_and_filterable(
    api_settings: ApiSettings, runner: ServiceProcess
) -> None:
    async with api_client(api_settings) as client:
        report_id = await create_report(client, "SELECT 1 AS one")
        first = await run_and_wait(client, report_id, WAIT)
        second = await run_and_wait(client, report_id, WAIT)
        history = await client.get(f"/api/reports/{report_id}/runs")
        successes = await client.get(f"/api/reports/{report_id}/runs", params={"status": "FAILED"})
        page = await client.get(f"/api/reports/{report_id}/runs", params={"limit": 1, "offset": 1})
        report = (await client.get(f"/api/reports/{report_id}")).json()
    assert [run["id"] for run in history.json()] == [second["id"], first["id"]]
    assert history.headers["x-total-count"] == "2"
    assert successes.json() == []
    assert [run["id"] for run in page.json()] == [first["id"]]
    assert report["last_run"]["id"] == second["id"]
    assert report["last_run"]["status"] == "SUCCESS"


async def test_output_file_is_named_after_the_report_and_time(
    api_settings: ApiSettings, runner: ServiceProcess
) -> None:
    async with api_client(api_settings) as client:
        report_id = await create_report(client, "SELECT 1", name="Sales / Q1: ünïcode & co")
        run = await run_and_wait(client, report_id, WAIT)
    name = str(run["output_path"])
    assert name.startswith("Sales_Q1_n_code_co_")
    assert name.endswith(".csv")
    assert (api_settings.output_dir / name).is_file()
    assert not list(api_settings.output_dir.glob(f".{run['id']}.*.part"))


async def test_write_statements_fail_and_change_nothing(
    api_settings: ApiSettings,
    runner: ServiceProcess,
    db: asyncpg.Connection,
    source_db: asyncpg.Connection,
) -> None:
    """The API refuses most writes; these are stored directly, as if the check were bypassed."""
    before = await source_db.fetchval("SELECT count(*) FROM victims")
    attacks = {
        "DELETE FROM victims RETURNING id": "must return rows",
        "UPDATE victims SET id = id + 100 RETURNING id": "must return rows",
        "WITH gone AS (DELETE FROM victims RETURNING id) SELECT * FROM gone": "must return rows",
        "SELECT * FROM victims FOR UPDATE": "cannot execute SELECT FOR UPDATE in a read-only",
        "DROP TABLE victims": "must return rows",
        "SELECT 1) TO STDOUT; COMMIT; DELETE FROM victims; COPY (SELECT 1": "syntax error",
        "SELECT 1; DELETE FROM victims": "cannot insert multiple commands",
    }
    async with api_client(api_settings) as client:
        for sql, expected_error in attacks.items():
            report_id = await create_report(client, "SELECT 1")
            await db.execute("UPDATE reports SET sql_query = $1 WHERE id = $2", sql, report_id)
            run = await run_and_wait(client, report_id, WAIT)
            assert run["status"] == "FAILED", sql
            assert expected_error in str(run["error_message"]), (sql, run["error_message"])
    assert await source_db.fetchval("SELECT count(*) FROM victims") == before
    assert await source_db.fetchval("SELECT to_regclass('victims') IS NOT NULL")


async def test_a_format_compression_pair_the_runner_cannot_write_fails_naming_it(
    broker: Broker, runner: ServiceProcess, db: asyncpg.Connection, output_dir: Path
) -> None:
    """XLSX + gzip, written into the reports table past the API's check."""
    name = unique_name("Zipped twice")
    event = await queued_run(db, name, "SELECT 1 AS one", output_format="XLSX", compression="gzip")
    await broker.publish(event)
    run = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"}, within=WAIT)
    assert run["status"] == "FAILED"
    assert "XLSX with gzip compression cannot be written" in run["error_message"]
    assert run["output_path"] is None
    assert not list(output_dir.glob(f"{name.replace(' ', '_')}_*"))
