"""The scheduler publishes the run.requested events it commits itself and marks them published."""

import asyncio
import time

import asyncpg

from shared.messaging import Broker
from shared.topology import RUNNER_QUEUE
from tests.integration.scheduler.conftest import MakeReport, wait_for_slots
from tests.support.environment import AMQP_URL
from tests.support.queues import declare_queues_of
from tests.support.services import ServiceProcess


async def test_fired_runs_events_are_published_and_marked_within_a_second(
    fast_scheduler: ServiceProcess,
    db: asyncpg.Connection,
    make_report: MakeReport,
    broker: Broker,
) -> None:
    # The scheduler declares no queue: run.requested is routable once a runner declared its own.
    await declare_queues_of(AMQP_URL, broker.topology, RUNNER_QUEUE)
    report_id = await make_report("* * * * *")
    assert len(await wait_for_slots(db, report_id, 3, within=10)) >= 3
    deadline = time.monotonic() + 1.0
    while True:
        rows = await db.fetch(
            "SELECT published_at FROM outbox "
            "WHERE routing_key = 'run.requested' AND payload->>'report_id' = $1",
            str(report_id),
        )
        if all(row["published_at"] for row in rows) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert len(rows) >= 3
    assert all(row["published_at"] for row in rows)
    assert "publishing committed events failed" not in fast_scheduler.log_text()
