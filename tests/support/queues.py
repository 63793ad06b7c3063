"""Declares a consumer's queues as the consumer itself would, for tests that publish to a queue
and read it without starting that consumer (publishers declare no queues)."""

import aio_pika

from shared.messaging.declaration import declare_consumer_queues
from shared.topology import Topology


async def declare_queues_of(amqp_url: str, topology: Topology, *consumer_queues: str) -> None:
    """The queues, bindings and dead-letter queues each consumer of `consumer_queues` owns."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for consumer_queue in consumer_queues:
            await declare_consumer_queues(channel, topology, consumer_queue)
    finally:
        await connection.close()
