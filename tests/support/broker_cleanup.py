"""Removes a test session's exchanges and queues from the shared RabbitMQ."""

import aio_pika

from shared.topology import QUEUES, Topology


async def delete_namespace(amqp_url: str, namespace: str) -> None:
    topology = Topology(namespace)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for spec in QUEUES:
            await channel.queue_delete(topology.queue(spec.name))
            await channel.queue_delete(topology.dead_letter_queue(spec.name))
        await channel.exchange_delete(topology.events_exchange)
        await channel.exchange_delete(topology.dead_letter_exchange)
    finally:
        await connection.close()
