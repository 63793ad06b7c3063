"""The overlap rule: a slow report on an every-minute schedule never runs twice at once; with
`skip` (the default) the slots that find it still running are recorded SKIPPED with the reason,
with `queue` they wait their turn."""

import asyncio
from datetime import datetime
from itertools import pairwise
from typing import Any

import httpx

from services.api.settings import ApiSettings
from tests.integration.scheduler.conftest import clock_env
from tests.support.api import api_client, create_report
from tests.support.invariants import assert_invariants
from tests.support.runs import wait_until_all_finished
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY

SLOW_SECONDS = 3


async def _runs(client: httpx.AsyncClient, report_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/reports/{report_id}/runs", params={"limit": 500})
    runs: list[dict[str, Any]] = response.json()
    return runs


def _overlapping(runs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(earlier, later) ids of runs that were RUNNING at the same time."""
    ran = sorted((run for run in runs if run["started_at"]), key=lambda run: run["started_at"])
    return [
        (earlier["id"], later["id"])
        for earlier, later in pairwise(ran)
        if datetime.fromisoformat(later["started_at"])
        < datetime.fromisoformat(earlier["finished_at"])
    ]


async def test_overlap_skip_records_slots_skipped_while_the_slow_run_still_runs(
    api_settings: ApiSettings, scenario: Scenario
) -> None:
    # Two slots: without the rule the runner would run two slots at once.
    scenario.start("runner", RUNNER_CONCURRENCY="2", **FAST_RECOVERY)
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id = await create_report(
            client, f"SELECT pg_sleep({SLOW_SECONDS})::text AS slept", schedule_cron="* * * * *"
        )
        scheduler = scenario.start("scheduler", **clock_env(speed=60))  # a cron minute a second
        await asyncio.sleep(3 * SLOW_SECONDS)
        scheduler.stop()
        runs = await _runs(client, report_id)
        await wait_until_all_finished(scenario.db, [run["id"] for run in runs], within=30)
        runs = await _runs(client, report_id)

    statuses = [run["status"] for run in runs]
    skipped = [run for run in runs if run["status"] == "SKIPPED"]
    assert statuses.count("SUCCESS") >= 2, statuses
    assert len(skipped) >= 2, statuses
    assert set(statuses) <= {"SUCCESS", "SKIPPED"}
    assert all("still running (overlap: skip)" in run["error_message"] for run in skipped)
    assert all(run["trigger"] == "SCHEDULE" and run["started_at"] is None for run in skipped)
    assert _overlapping(runs) == []
    await assert_invariants(scenario.db, [report_id], scenario.output_dir)


async def test_overlap_queue_runs_every_slot_one_after_the_other(
    api_settings: ApiSettings, scenario: Scenario
) -> None:
    scenario.start("runner", RUNNER_CONCURRENCY="2", OVERLAP_WAIT_SECONDS="0.3", **FAST_RECOVERY)
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id = await create_report(
            client,
            "SELECT pg_sleep(1.5)::text AS slept",
            schedule_cron="* * * * *",
            overlap="queue",
        )
        scheduler = scenario.start("scheduler", **clock_env(speed=60))
        await asyncio.sleep(4)
        scheduler.stop()
        runs = await _runs(client, report_id)
        await wait_until_all_finished(scenario.db, [run["id"] for run in runs], within=60)
        runs = await _runs(client, report_id)

    assert len(runs) >= 3
    assert {run["status"] for run in runs} == {"SUCCESS"}
    assert _overlapping(runs) == []
    await assert_invariants(scenario.db, [report_id], scenario.output_dir)
