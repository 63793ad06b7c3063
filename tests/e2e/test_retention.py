"""Retention through a real runner (its periodic sweep) and the API: old files expire and their
runs stay listed with a 410 download, old history goes when HISTORY_RETENTION_DAYS is set, and a
deleted report's files are removed. Runs are aged by moving `finished_at` into the past."""

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from services.api.settings import ApiSettings
from tests.support.api import api_client, create_report, run_and_wait
from tests.support.invariants import assert_invariants
from tests.support.scenarios import Scenario

SWEEP_EVERY = {"RETENTION_INTERVAL_SECONDS": "0.3"}


async def _finished_run(client: httpx.AsyncClient, report_id: str) -> dict[str, Any]:
    run = await run_and_wait(client, report_id, wait_seconds=30)
    assert run["status"] == "SUCCESS", run
    return run


async def _age(db: asyncpg.Connection, run_id: str, days: int) -> None:
    await db.execute(
        "UPDATE report_runs SET finished_at = now() - make_interval(days => $2) WHERE id = $1",
        uuid.UUID(run_id),
        days,
    )


async def _eventually(condition: Any, what: str, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} after {within} s")
        await asyncio.sleep(0.1)


def _file(scenario: Scenario, run: dict[str, Any]) -> Path:
    return scenario.output_dir / str(run["output_path"])


async def test_an_aged_run_loses_its_file_stays_listed_and_its_download_answers_410(
    api_settings: ApiSettings, scenario: Scenario
) -> None:
    db = scenario.db
    scenario.start("runner", OUTPUT_RETENTION_DAYS="90", **SWEEP_EVERY)
    async with api_client(scenario.api_settings(api_settings)) as client:
        default_report = await create_report(client, "SELECT 1 AS one")
        short_report = await create_report(client, "SELECT 2 AS two", retention_days=1)
        past_default = await _finished_run(client, default_report)
        within_default = await _finished_run(client, default_report)
        past_own = await _finished_run(client, short_report)
        await _age(db, past_default["id"], days=91)
        await _age(db, within_default["id"], days=30)
        await _age(db, past_own["id"], days=2)

        async def both_expired() -> bool:
            expired = await db.fetchval(
                "SELECT count(*) FROM report_runs WHERE expired_at IS NOT NULL"
            )
            return bool(expired == 2)

        await _eventually(both_expired, "expired")
        listed = (await client.get(f"/api/reports/{default_report}/runs")).json()
        expired_view = (await client.get(f"/api/runs/{past_default['id']}")).json()
        download = await client.get(f"/api/runs/{past_default['id']}/download")
        kept_download = await client.get(f"/api/runs/{within_default['id']}/download")

    assert not _file(scenario, past_default).exists()
    assert not _file(scenario, past_own).exists()
    assert _file(scenario, within_default).exists()
    assert {run["id"] for run in listed} == {past_default["id"], within_default["id"]}
    assert expired_view["expired_at"] is not None
    assert expired_view["download_url"] is None
    assert download.status_code == 410
    assert "expired" in download.json()["detail"]
    assert past_default["output_path"] in download.json()["detail"]
    assert kept_download.status_code == 200
    await assert_invariants(db, [default_report, short_report], scenario.output_dir)


async def test_history_retention_deletes_old_finished_runs_their_ledger_rows_and_files(
    api_settings: ApiSettings, scenario: Scenario
) -> None:
    db = scenario.db
    scenario.start("runner", HISTORY_RETENTION_DAYS="30", **SWEEP_EVERY)
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id = await create_report(client, "SELECT 1 AS one")
        old = await _finished_run(client, report_id)
        recent = await _finished_run(client, report_id)
    await db.execute(
        "INSERT INTO notification_log (id, run_id, channel, recipient, status) "
        "VALUES (gen_random_uuid(), $1, 'LOG', 'system', 'SENT')",
        uuid.UUID(old["id"]),
    )
    await _age(db, old["id"], days=31)
    await _age(db, recent["id"], days=29)

    async def old_run_gone() -> bool:
        runs = await db.fetchval("SELECT count(*) FROM report_runs WHERE id = $1::uuid", old["id"])
        return bool(runs == 0)

    await _eventually(old_run_gone, "deleted")
    ledger = await db.fetchval(
        "SELECT count(*) FROM notification_log WHERE run_id = $1::uuid", old["id"]
    )
    assert ledger == 0
    assert await db.fetchval("SELECT count(*) FROM report_runs") == 1
    assert not _file(scenario, old).exists()
    assert _file(scenario, recent).exists()
    await assert_invariants(db, [report_id], scenario.output_dir)


async def test_a_deleted_reports_files_are_removed_by_the_runner(
    api_settings: ApiSettings, scenario: Scenario
) -> None:
    scenario.start("runner", ORPHAN_FILE_GRACE_SECONDS="0", **SWEEP_EVERY)
    async with api_client(scenario.api_settings(api_settings)) as client:
        deleted = await create_report(client, "SELECT 1 AS one")
        kept = await create_report(client, "SELECT 2 AS two")
        deleted_runs = [await _finished_run(client, deleted) for _ in range(2)]
        kept_run = await _finished_run(client, kept)
        assert (await client.delete(f"/api/reports/{deleted}")).status_code == 204

    async def files_gone() -> bool:
        return not any(_file(scenario, run).exists() for run in deleted_runs)

    await _eventually(files_gone, "removed")
    assert _file(scenario, kept_run).exists()
    assert sorted(path.name for path in scenario.output_dir.iterdir() if path.is_file()) == [
        kept_run["output_path"]
    ]
