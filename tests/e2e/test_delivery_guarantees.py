"""At-least-once delivery, exactly-once execution: duplicates and crashes lose or double nothing."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from shared.events import RunRequested
from shared.messaging import Broker
from shared.models import RunTrigger
from shared.settings import BrokerSettings
from tests.conftest import AMQP_URL
from tests.e2e.conftest import FAST_RECOVERY
from tests.support.broker_cleanup import delete_namespace
from tests.support.reports import unique_name
from tests.support.services import ServiceProcess, StartService


async def _queued_run(db: asyncpg.Connection, name: str, sql: str) -> RunRequested:
    """A report and a QUEUED run written directly, with the event a publisher would send."""
    report_id = await db.fetchval(
        "INSERT INTO reports (id, name, sql_query) VALUES (gen_random_uuid(), $1, $2) RETURNING id",
        name,
        sql,
    )
    run_id = await db.fetchval(
        "INSERT INTO report_runs (id, report_id, trigger) VALUES (gen_random_uuid(), $1, 'MANUAL') "
        "RETURNING id",
        report_id,
    )
    return RunRequested(
        run_id=run_id,
        report_id=report_id,
        trigger=RunTrigger.MANUAL,
        requested_at=datetime.now(UTC),
    )


async def _wait_for_status(
    db: asyncpg.Connection, run_id: uuid.UUID, statuses: set[str], within: float = 30
) -> asyncpg.Record:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        run = await db.fetchrow("SELECT * FROM report_runs WHERE id = $1", run_id)
        assert run is not None
        if run["status"] in statuses:
            return run
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"run still {run['status']} after {within}s: {dict(run)}")
        await asyncio.sleep(0.1)


async def test_redelivered_request_does_not_run_twice(
    broker: Broker, runner: ServiceProcess, db: asyncpg.Connection, output_dir: Path
) -> None:
    name = unique_name("Duplicate delivery")
    event = await _queued_run(db, name, "SELECT pg_sleep(0.3)::text AS slept")
    for _ in range(3):
        await broker.publish(event)
    run = await _wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"})
    await asyncio.sleep(1.0)  # let the duplicates arrive and be skipped
    await broker.publish(event)  # a redelivery after the run finished
    await asyncio.to_thread(runner.wait_for_log, f"skipping [run_id={event.run_id}", 10)

    after = await _wait_for_status(db, event.run_id, {"SUCCESS"})
    assert run["status"] == "SUCCESS"
    assert after["attempt"] == 1
    assert after["started_at"] == run["started_at"]
    assert after["finished_at"] == run["finished_at"]
    stem = name.replace(" ", "_")
    assert len(list(output_dir.glob(f"{stem}_*.csv"))) == 1


@pytest.fixture
async def crash_namespace(amqp_namespace: str) -> AsyncIterator[str]:
    namespace = f"{amqp_namespace}-crash"
    yield namespace
    await delete_namespace(AMQP_URL, namespace)


async def test_run_of_a_crashed_runner_is_recovered_and_completed(
    start_service: StartService,
    runner: ServiceProcess,
    db: asyncpg.Connection,
    crash_namespace: str,
) -> None:
    """Runner A dies mid-export; its lease expires and the surviving runner completes the run."""
    doomed = start_service("runner", AMQP_NAMESPACE=crash_namespace, **FAST_RECOVERY)
    doomed_broker = Broker(BrokerSettings(amqp_url=AMQP_URL, amqp_namespace=crash_namespace))
    await doomed_broker.connect()
    event = await _queued_run(db, unique_name("Crash"), "SELECT pg_sleep(2)::text AS slept")
    await doomed_broker.publish(event)
    await doomed_broker.close()

    running = await _wait_for_status(db, event.run_id, {"RUNNING"})
    doomed.kill()
    finished = await _wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"})

    assert finished["status"] == "SUCCESS"
    assert finished["attempt"] == 2
    assert finished["worker_id"] != running["worker_id"]
    assert finished["row_count"] == 1
