"""The scheduler's /metrics counts the slots it fires and how late they were published."""

import asyncio

import asyncpg
import httpx

from tests.integration.scheduler.conftest import MakeReport, clock_env, wait_for_slots
from tests.support.metrics import free_port, metric_value
from tests.support.services import StartService


async def test_fired_slots_and_their_lateness_are_counted(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    port = free_port()
    scheduler = start_service(
        "scheduler",
        METRICS_PORT=str(port),
        SCHEDULER_SIMULATION_WITHOUT_LEADER_ELECTION="true",
        **clock_env(speed=60),
    )
    report_id = await make_report("* * * * *")
    await wait_for_slots(db, report_id, 1, within=10)
    scheduled = 'reportflow_scheduler_slots_total{outcome="scheduled"}'
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(50):  # the counters move just after the run is committed and published
            metrics = (await client.get("/metrics")).text
            if metric_value(metrics, scheduled) >= 1:
                break
            await asyncio.sleep(0.1)
    scheduler.stop()
    assert metric_value(metrics, scheduled) >= 1
    assert metric_value(metrics, "reportflow_scheduler_lateness_seconds_count") >= 1
