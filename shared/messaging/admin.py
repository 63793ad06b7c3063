"""Removes a namespace's exchanges and queues: for test sessions, benchmarks and operators."""

import aio_pika

from shared.topology import QUEUES, Topology


async def delete_namespace(amqp_url: str, namespace: str) -> None:
    """Removes a namespace's exchanges and queues (with any messages in them) from the broker:
    for test sessions and benchmarks that share a RabbitMQ. Stop its services first, or they
    declare their queues again."""
    topology = Topology(namespace)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for spec in QUEUES:
            await channel.queue_delete(topology.name(spec.name))
            await channel.queue_delete(topology.dead_letter_queue(spec.name))
        await channel.exchange_delete(topology.events_exchange)
        await channel.exchange_delete(topology.dead_letter_exchange)
    finally:
        await connection.close()
