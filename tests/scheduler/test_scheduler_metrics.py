"""The scheduler's /metrics counts the slots it fires and how late they were published."""

import asyncio
import re
import socket

import asyncpg
import httpx

from tests.scheduler.conftest import MakeReport, clock_env, wait_for_slots
from tests.support.services import StartService


def _value(metrics: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_fired_slots_and_their_lateness_are_counted(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    port = _free_port()
    scheduler = start_service(
        "scheduler",
        METRICS_PORT=str(port),
        SCHEDULER_LEADER_ELECTION="false",
        **clock_env(speed=60),
    )
    report_id = await make_report("* * * * *")
    await wait_for_slots(db, report_id, 1, within=10)
    scheduled = 'reportflow_scheduler_slots_total{outcome="scheduled"}'
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(50):  # the counters move just after the run is committed and published
            metrics = (await client.get("/metrics")).text
            if _value(metrics, scheduled) >= 1:
                break
            await asyncio.sleep(0.1)
    scheduler.stop()
    assert _value(metrics, scheduled) >= 1
    assert _value(metrics, "reportflow_scheduler_lateness_seconds_count") >= 1
