"""Queues as their consumer would declare them, for tests that publish without starting it."""

import asyncio

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


async def message_count_once_settled(
    channel: aio_pika.abc.AbstractChannel, queue_name: str, expected: int
) -> int | None:
    """A quorum queue counts messages handed back a moment after the nack: waits up to 5 s."""
    for _ in range(50):
        queue = await channel.declare_queue(queue_name, passive=True)
        if queue.declaration_result.message_count == expected:
            break
        await asyncio.sleep(0.1)
    return queue.declaration_result.message_count
