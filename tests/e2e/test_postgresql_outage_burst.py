"""Scenario 3: PostgreSQL becomes unreachable for the API during a burst of requests.

Every request answers 503 within 5 s (none hangs: shared/database.py's CONNECT_TIMEOUT_SECONDS
and REQUEST_COMMAND_TIMEOUT_SECONDS bound each attempt), the API recovers by itself within 30 s
of PostgreSQL coming back, and no run requested before or after is lost.
"""

import asyncio
import time
from collections.abc import Awaitable

import httpx
import pytest
from pydantic import SecretStr

from services.api.settings import ApiSettings
from tests.support.api import api_client, create_report
from tests.support.fault_figures import OUTBOX_GRACE, Figures, record_figures
from tests.support.fault_proxy import FaultProxy
from tests.support.invariants import assert_invariants
from tests.support.runs import wait_until_all_finished
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY

ANSWER_WITHIN_SECONDS = 5.0
RECOVER_WITHIN_SECONDS = 30.0
BURST = 10  # below the pool's 15 connections: more would queue for a connection first
RUNS_EACH_SIDE = 5


async def _timed(request: Awaitable[httpx.Response]) -> tuple[int, float]:
    started = time.monotonic()
    response = await request
    return response.status_code, time.monotonic() - started


async def _burst(client: httpx.AsyncClient, report_id: str) -> list[tuple[int, float]]:
    requests = [
        client.post(f"/api/reports/{report_id}/run")
        if index % 2
        else client.get(f"/api/reports/{report_id}/runs")
        for index in range(BURST)
    ]
    return await asyncio.gather(*(_timed(request) for request in requests))


async def _seconds_until_serving(client: httpx.AsyncClient, report_id: str) -> tuple[float, str]:
    """How long until a run can be requested again, and that run."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVER_WITHIN_SECONDS * 2:
        response = await client.post(f"/api/reports/{report_id}/run")
        if response.status_code == 202:
            return time.monotonic() - started, response.json()["id"]
        await asyncio.sleep(0.2)
    raise AssertionError("the API never served again")


async def _request_runs(client: httpx.AsyncClient, report_id: str) -> list[str]:
    responses = [await client.post(f"/api/reports/{report_id}/run") for _ in range(RUNS_EACH_SIDE)]
    assert [response.status_code for response in responses] == [202] * RUNS_EACH_SIDE
    return [response.json()["id"] for response in responses]


@pytest.mark.parametrize("outage", ["cut", "black_hole"])
async def test_the_api_answers_503_fast_during_a_postgresql_outage_and_recovers_by_itself(
    outage: str, api_settings: ApiSettings, scenario: Scenario, postgres_proxy: FaultProxy
) -> None:
    scenario.start("runner", **FAST_RECOVERY)
    settings = scenario.api_settings(
        api_settings, database_url=SecretStr(postgres_proxy.url(scenario.database_url))
    )
    async with api_client(settings) as client:
        report_id = await create_report(client, "SELECT 1 AS one")
        run_ids = await _request_runs(client, report_id)

        getattr(postgres_proxy, outage)()
        answers = await _burst(client, report_id)
        postgres_proxy.restore()
        recovery_seconds, first_run_after = await _seconds_until_serving(client, report_id)

        run_ids += [first_run_after, *await _request_runs(client, report_id)]
        runs = await wait_until_all_finished(scenario.db, run_ids, within=60)

    assert {status for status, _ in answers} == {503}
    assert max(seconds for _, seconds in answers) < ANSWER_WITHIN_SECONDS
    assert recovery_seconds < RECOVER_WITHIN_SECONDS
    assert {run["status"] for run in runs} == {"SUCCESS"}
    verdict = await assert_invariants(
        scenario.db,
        [report_id],
        scenario.output_dir,
        requested_runs=run_ids,
        outbox_grace=OUTBOX_GRACE,
    )
    record_figures(
        Figures(
            f"3. PostgreSQL {outage.replace('_', '-')} from the API during a burst of {BURST}",
            requested=len(runs),
            completed=len(runs),
            duplicates=verdict.duplicates,
            lost=verdict.lost,
            recovery_seconds=recovery_seconds,
            notes=f"slowest 503: {max(seconds for _, seconds in answers):.2f} s",
        )
    )
