"""At-least-once delivery, exactly-once execution: duplicates and crashes lose or double nothing."""

import asyncio
from pathlib import Path

import asyncpg

from shared.messaging import Broker
from tests.support.environment import AMQP_URL
from tests.support.reports import unique_name
from tests.support.runs import publish_in, queued_run, wait_for_status
from tests.support.services import FAST_RECOVERY, ServiceProcess, StartService


async def test_redelivered_request_does_not_run_twice(
    broker: Broker, runner: ServiceProcess, db: asyncpg.Connection, output_dir: Path
) -> None:
    name = unique_name("Duplicate delivery")
    event = await queued_run(db, name, "SELECT pg_sleep(0.3)::text AS slept")
    for _ in range(3):
        await broker.publish(event)
    run = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"})
    await asyncio.sleep(1.0)  # let the duplicates arrive and be skipped
    await broker.publish(event)  # a redelivery after the run finished
    await asyncio.to_thread(runner.wait_for_log, f"skipping [run_id={event.run_id}", 10)

    after = await wait_for_status(db, event.run_id, {"SUCCESS"})
    assert run["status"] == "SUCCESS"
    assert after["attempt"] == 1
    assert after["started_at"] == run["started_at"]
    assert after["finished_at"] == run["finished_at"]
    stem = name.replace(" ", "_")
    assert len(list(output_dir.glob(f"{stem}_*.csv"))) == 1


async def test_run_of_a_crashed_runner_is_recovered_and_completed(
    start_service: StartService,
    runner: ServiceProcess,
    db: asyncpg.Connection,
    private_namespace: str,
) -> None:
    """Runner A dies mid-export; its lease expires and the surviving runner completes the run."""
    doomed = start_service("runner", AMQP_NAMESPACE=private_namespace, **FAST_RECOVERY)
    event = await queued_run(db, unique_name("Crash"), "SELECT pg_sleep(2)::text AS slept")
    await publish_in(AMQP_URL, private_namespace, event)

    running = await wait_for_status(db, event.run_id, {"RUNNING"})
    doomed.kill()
    finished = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"})

    assert finished["status"] == "SUCCESS"
    assert finished["attempt"] == 2
    assert finished["worker_id"] != running["worker_id"]
    assert finished["row_count"] == 1


async def test_a_runner_that_loses_its_lease_abandons_the_export(
    start_service: StartService,
    db: asyncpg.Connection,
    private_namespace: str,
    output_dir: Path,
) -> None:
    """Another runner took the run over: this one must not keep writing or record anything."""
    slow = start_service("runner", AMQP_NAMESPACE=private_namespace, LEASE_SECONDS="1.5")
    name = unique_name("Taken over")
    event = await queued_run(db, name, "SELECT pg_sleep(4)::text AS slept")
    await publish_in(AMQP_URL, private_namespace, event)
    await wait_for_status(db, event.run_id, {"RUNNING"})
    await db.execute(
        "UPDATE report_runs SET attempt = attempt + 1, worker_id = 'other-runner:1' WHERE id = $1",
        event.run_id,
    )

    await asyncio.to_thread(slow.wait_for_log, "export abandoned", 10)

    run = await db.fetchrow("SELECT * FROM report_runs WHERE id = $1", event.run_id)
    assert run is not None
    assert (run["status"], run["worker_id"]) == ("RUNNING", "other-runner:1")
    assert not list(output_dir.glob(f"{name.replace(' ', '_')}_*"))
    assert not list(output_dir.glob(f".{event.run_id}.*.part"))


async def test_a_stale_request_is_skipped_without_waiting_for_a_busy_slot(
    start_service: StartService, db: asyncpg.Connection, private_namespace: str
) -> None:
    """The run's status is read once no slot freed within a moment (worker._take_slot), so a
    request for a finished run is dropped while the only slot is still busy."""
    busy = start_service("runner", AMQP_NAMESPACE=private_namespace, RUNNER_CONCURRENCY="1")
    slow = await queued_run(db, unique_name("Busy slot"), "SELECT pg_sleep(7)::text AS slept")
    stale = await queued_run(db, unique_name("Already finished"), "SELECT 1 AS one")
    await db.execute(
        "UPDATE report_runs SET status = 'SUCCESS', finished_at = now() WHERE id = $1",
        stale.run_id,
    )
    await publish_in(AMQP_URL, private_namespace, slow)
    await wait_for_status(db, slow.run_id, {"RUNNING"})

    await publish_in(AMQP_URL, private_namespace, stale)
    await asyncio.to_thread(busy.wait_for_log, f"skipping [run_id={stale.run_id}", 5)

    assert await db.fetchval("SELECT status FROM report_runs WHERE id = $1", slow.run_id) == (
        "RUNNING"
    )
    await wait_for_status(db, slow.run_id, {"SUCCESS"})
