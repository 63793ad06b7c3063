"""SIGTERM during a run: it finishes, or is handed back and completed by another runner."""

import asyncio

import asyncpg

from tests.support.environment import AMQP_URL
from tests.support.reports import unique_name
from tests.support.runs import publish_in, queued_run, wait_for_status
from tests.support.services import FAST_RECOVERY, StartService


async def test_sigterm_lets_a_short_run_finish_before_exiting(
    start_service: StartService, db: asyncpg.Connection, private_namespace: str
) -> None:
    runner = start_service(
        "runner", AMQP_NAMESPACE=private_namespace, SHUTDOWN_TIMEOUT_SECONDS="20", **FAST_RECOVERY
    )
    event = await queued_run(db, unique_name("Graceful"), "SELECT pg_sleep(1.5)::text AS slept")
    await publish_in(AMQP_URL, private_namespace, event)
    await wait_for_status(db, event.run_id, {"RUNNING"})

    exit_code = await asyncio.to_thread(runner.stop)

    finished = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"}, within=1)
    assert exit_code == 0
    assert finished["status"] == "SUCCESS"
    assert finished["attempt"] == 1


async def test_a_run_still_going_at_the_shutdown_deadline_is_completed_by_another_runner(
    start_service: StartService, db: asyncpg.Connection, private_namespace: str
) -> None:
    settings = {"AMQP_NAMESPACE": private_namespace, "SHUTDOWN_TIMEOUT_SECONDS": "0.5"}
    runners = [start_service("runner", **settings, **FAST_RECOVERY) for _ in range(2)]
    event = await queued_run(db, unique_name("Handed back"), "SELECT pg_sleep(2)::text AS slept")
    await publish_in(AMQP_URL, private_namespace, event)
    running = await wait_for_status(db, event.run_id, {"RUNNING"})
    [claimant] = [r for r in runners if running["worker_id"].endswith(f":{r.process.pid}")]  # type: ignore[union-attr]

    exit_code = await asyncio.to_thread(claimant.stop)

    finished = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"}, within=30)
    assert exit_code == 0
    assert "handed back" in claimant.log_text()
    assert finished["status"] == "SUCCESS"
    assert finished["attempt"] == 2
    assert finished["worker_id"] != running["worker_id"]
