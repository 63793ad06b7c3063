"""`deploy.redrive` moves nothing into a queue that is not there: it stays dead-lettered."""

import aio_pika
import aiormq
import pytest

from deploy.redrive import redrive
from shared.messaging import Broker
from shared.topology import RUNNER_QUEUE
from tests.support.environment import AMQP_URL
from tests.support.queues import declare_queues_of, message_count_once_settled


async def test_a_message_whose_queue_was_deleted_stays_in_the_dead_letter_queue(
    private_broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    await declare_queues_of(AMQP_URL, private_broker.topology, RUNNER_QUEUE)
    dead_letter_queue = private_broker.topology.dead_letter_queue(RUNNER_QUEUE)
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        await channel.queue_delete(private_broker.topology.name(RUNNER_QUEUE))
        await channel.default_exchange.publish(
            aio_pika.Message(b"{}", message_id="nowhere-to-go"), routing_key=dead_letter_queue
        )
        monkeypatch.setenv("AMQP_URL", AMQP_URL)
        monkeypatch.setenv("AMQP_NAMESPACE", private_broker.topology.namespace)

        with pytest.raises(aiormq.exceptions.PublishError):
            await redrive(RUNNER_QUEUE, limit=None, dry_run=False)

        assert await message_count_once_settled(channel, dead_letter_queue, 1) == 1
    finally:
        await connection.close()
