"""Declares the exchanges, and a consumer's queues with their bindings, from the topology."""

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange

from shared.topology import QueueSpec, Topology, queues_declared_by


async def declare_exchanges(
    channel: AbstractChannel, topology: Topology
) -> tuple[AbstractExchange, AbstractExchange]:
    """The events exchange and the dead-letter exchange: all a publisher declares."""
    events = await channel.declare_exchange(
        topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    dead_letters = await channel.declare_exchange(
        topology.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
    )
    return events, dead_letters


async def declare_consumer_queues(
    channel: AbstractChannel, topology: Topology, consumer_queue: str
) -> aio_pika.abc.AbstractQueue:
    """Declares what the consumer of `consumer_queue` owns (the queue, the queues feeding it,
    their bindings and dead-letter queues) and returns the queue to consume from.

    On a robust channel each declaration is remembered: aio-pika repeats it after a reconnect,
    and declares the queue and its bindings again when the broker cancels its consumer (the
    queue was deleted by hand, say) before subscribing again.
    """
    events, dead_letters = await declare_exchanges(channel, topology)
    declared = [
        await _declare_queue(channel, topology, spec, events, dead_letters)
        for spec in queues_declared_by(consumer_queue)
    ]
    return declared[0]


async def _declare_queue(
    channel: AbstractChannel,
    topology: Topology,
    spec: QueueSpec,
    events: AbstractExchange,
    dead_letters: AbstractExchange,
) -> aio_pika.abc.AbstractQueue:
    queue = await channel.declare_queue(
        topology.name(spec.name), durable=True, arguments=topology.queue_arguments(spec)
    )
    for routing_key in spec.routing_keys:
        await queue.bind(events, routing_key)
    if spec.dead_letter_routing_key is None:  # a delay queue hands its messages on instead
        dead_letter_queue = await channel.declare_queue(
            topology.dead_letter_queue(spec.name),
            durable=True,
            arguments={"x-queue-type": "quorum"},
        )
        await dead_letter_queue.bind(dead_letters, topology.name(spec.name))
    return queue
