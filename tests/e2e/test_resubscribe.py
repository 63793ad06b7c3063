"""A consumer whose queue was deleted by hand declares it again and subscribes again by itself,
without a restart, and no run requested meanwhile is lost."""

import asyncio

import aio_pika
import asyncpg

from shared.messaging import Broker, OutgoingMessage
from shared.settings import BrokerSettings
from shared.topology import RUNNER_QUEUE
from tests.support.environment import AMQP_URL
from tests.support.reports import unique_name
from tests.support.runs import publish_in, queued_run, wait_for_status
from tests.support.services import StartService

RESUBSCRIBE_WITHIN_SECONDS = 10.0


async def _consumer_count(connection: aio_pika.abc.AbstractConnection, queue: str) -> int | None:
    """The queue's consumers, or None while it does not exist."""
    # A failed passive declaration closes its channel: one channel per look.
    async with connection.channel() as channel:
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return None
    return declared.declaration_result.consumer_count


async def _wait_for_one_consumer(connection: aio_pika.abc.AbstractConnection, queue: str) -> None:
    async with asyncio.timeout(RESUBSCRIBE_WITHIN_SECONDS):
        while True:
            if await _consumer_count(connection, queue) == 1:
                return
            await asyncio.sleep(0.1)


async def _publish_until_routed(broker: Broker, message: OutgoingMessage) -> None:
    """What the outbox relay does with an event RabbitMQ returned: tries again."""
    async with asyncio.timeout(RESUBSCRIBE_WITHIN_SECONDS):
        while True:
            if await broker.publish_many([message]) == [True]:
                return
            await asyncio.sleep(0.1)


async def test_a_runner_whose_queue_was_deleted_by_hand_subscribes_again_and_loses_no_run(
    start_service: StartService, db: asyncpg.Connection, private_namespace: str
) -> None:
    runner = start_service("runner", AMQP_NAMESPACE=private_namespace)
    broker = Broker(BrokerSettings(amqp_url=AMQP_URL, amqp_namespace=private_namespace))
    await broker.connect()
    connection = await aio_pika.connect(AMQP_URL)
    try:
        runner_queue = broker.topology.name(RUNNER_QUEUE)
        async with connection.channel() as channel:
            await channel.queue_delete(runner_queue)
        meanwhile = await queued_run(db, unique_name("While the queue was gone"), "SELECT 1 AS one")
        await _publish_until_routed(
            broker,
            OutgoingMessage(
                meanwhile.routing_key,
                meanwhile.model_dump_json().encode(),
                meanwhile.event_id.hex,
            ),
        )

        await _wait_for_one_consumer(connection, runner_queue)
        afterwards = await queued_run(db, unique_name("After resubscribing"), "SELECT 2 AS two")
        await publish_in(AMQP_URL, private_namespace, afterwards)

        for event in (meanwhile, afterwards):
            finished = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"})
            assert finished["status"] == "SUCCESS"
    finally:
        await connection.close()
        await broker.close()
    assert "cancelled by the broker" in runner.log_text()
    assert runner.process is not None
    assert runner.process.poll() is None  # the same process throughout
