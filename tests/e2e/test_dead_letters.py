"""A message that cannot be processed goes to its dead-letter queue instead of looping, and an
operator can move it back once the cause is fixed."""

import asyncio

import aio_pika
import asyncpg
import pytest

from deploy.redrive import redrive
from shared.messaging import Broker
from shared.topology import RUNNER_QUEUE
from tests.support.environment import AMQP_URL
from tests.support.reports import unique_name
from tests.support.runs import queued_run, wait_for_status
from tests.support.services import ServiceProcess


async def _dead_letter_count(broker: Broker) -> int:
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(
            broker.topology.dead_letter_queue(RUNNER_QUEUE), passive=True
        )
        count = queue.declaration_result.message_count
        assert count is not None
        return count
    finally:
        await connection.close()


async def _wait_for_dead_letters(broker: Broker, count: int) -> None:
    for _ in range(100):
        if await _dead_letter_count(broker) == count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"dead-letter queue has {await _dead_letter_count(broker)}, not {count}")


async def test_undecodable_request_is_dead_lettered_not_retried(
    broker: Broker, runner: ServiceProcess
) -> None:
    before = await _dead_letter_count(broker)
    await broker.publish_raw("run.requested", b'{"run_id": "not a uuid"}', "poison-1")
    await _wait_for_dead_letters(broker, before + 1)
    assert "dead-lettering an undecodable" in runner.log_text()


async def test_redrive_moves_a_dead_lettered_request_back_and_it_runs(
    broker: Broker,
    runner: ServiceProcess,
    db: asyncpg.Connection,
    amqp_namespace: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = await queued_run(db, unique_name("Re-driven"), "SELECT 1 AS one")
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        dead_letters = await channel.get_exchange(broker.topology.dead_letter_exchange)
        await dead_letters.publish(
            aio_pika.Message(
                event.model_dump_json().encode(),
                message_id=event.event_id.hex,
                type=event.routing_key,
            ),
            routing_key=broker.topology.name(RUNNER_QUEUE),
        )
    finally:
        await connection.close()
    monkeypatch.setenv("AMQP_URL", AMQP_URL)
    monkeypatch.setenv("AMQP_NAMESPACE", amqp_namespace)

    moved = await redrive(RUNNER_QUEUE, limit=None, dry_run=False)

    assert moved >= 1
    finished = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"})
    assert finished["status"] == "SUCCESS"
