"""A run's download is a 409 while it has no file and a 410 once its file was removed."""

import uuid

import asyncpg
import httpx

from tests.support.api import create_report


async def _run(
    db: asyncpg.Connection,
    report_id: str,
    status: str,
    error_message: str | None = None,
    output_path: str | None = None,
) -> uuid.UUID:
    """A manual run of `report_id` written directly, as a runner would have left it."""
    run_id = await db.fetchval(
        "INSERT INTO report_runs (id, report_id, trigger, status, error_message, output_path) "
        "VALUES (gen_random_uuid(), $1, 'MANUAL', $2, $3, $4) RETURNING id",
        report_id,
        status,
        error_message,
        output_path,
    )
    return uuid.UUID(str(run_id))


async def test_a_queued_run_has_no_file_yet(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    run_id = await _run(db, await create_report(client, "SELECT 1 AS one"), "QUEUED")
    response = await client.get(f"/api/runs/{run_id}/download")
    assert response.status_code == 409
    assert response.json() == {"detail": "the run is QUEUED; its file is not ready yet"}


async def test_a_failed_run_has_no_file_and_says_why(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    run_id = await _run(db, report_id, "FAILED", error_message="division by zero")
    response = await client.get(f"/api/runs/{run_id}/download")
    assert response.status_code == 409
    assert response.json() == {"detail": "the run failed, so there is no file: division by zero"}


async def test_a_removed_file_is_a_410_naming_it(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    run_id = await _run(db, report_id, "SUCCESS", output_path="outputs/removed_20260101.csv")
    response = await client.get(f"/api/runs/{run_id}/download")
    assert response.status_code == 410
    assert response.json() == {
        "detail": "the file removed_20260101.csv is no longer in the output directory"
    }


async def test_run_answers_name_the_file_not_the_servers_path(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    server_path = "/srv/reportflow/outputs/Sales_20260101_080000.csv"
    run_id = await _run(db, report_id, "SUCCESS", output_path=server_path)
    one = (await client.get(f"/api/runs/{run_id}")).json()
    (listed,) = (await client.get(f"/api/reports/{report_id}/runs")).json()
    assert one["output_path"] == listed["output_path"] == "Sales_20260101_080000.csv"


async def test_an_expired_runs_download_is_a_410_saying_so_and_the_run_has_no_link(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one", retention_days=7)
    run_id = await _run(db, report_id, "SUCCESS", output_path="outputs/old_20250101.csv")
    await db.execute(
        "UPDATE report_runs SET expired_at = '2026-03-01 04:00+00' WHERE id = $1", run_id
    )

    download = await client.get(f"/api/runs/{run_id}/download")
    run = (await client.get(f"/api/runs/{run_id}")).json()

    assert download.status_code == 410
    assert download.json() == {
        "detail": "the file old_20250101.csv expired and was removed on 2026-03-01 04:00 UTC "
        "(output retention); the run's record is kept"
    }
    assert (run["expired_at"], run["download_url"]) == ("2026-03-01T04:00:00Z", None)


async def test_a_reports_own_retention_can_be_set_and_reset_to_the_default(
    client: httpx.AsyncClient,
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one", retention_days=30)

    changed = await client.put(f"/api/reports/{report_id}", json={"retention_days": 365})
    reset = await client.put(f"/api/reports/{report_id}", json={"retention_days": None})

    assert changed.json()["retention_days"] == 365
    assert reset.json()["retention_days"] is None
