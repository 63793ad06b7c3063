"""The messaging adapter the services hold: one robust connection, a confirming channel for
publishing and a channel per consumer."""

import asyncio
import contextlib
from collections.abc import Sequence

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from shared.events import Event
from shared.messaging.connection import connect_robust
from shared.messaging.consumer import Consumers, EventHandler
from shared.messaging.declaration import declare_exchanges
from shared.messaging.publisher import ConfirmingPublisher, OutgoingMessage
from shared.settings import BrokerSettings
from shared.topology import Topology


class Broker:
    """Publishers declare only the exchanges; each consumer declares the queues it owns.

    aio-pika's robust connection reconnects after a broker restart and declares again what was
    declared through it, consumers included.
    """

    def __init__(self, settings: BrokerSettings) -> None:
        self._url = settings.amqp_url.get_secret_value()
        self._publish_timeout = settings.publish_timeout_seconds
        self.topology = Topology(settings.amqp_namespace, settings.delivery_limit)
        self._connection: AbstractRobustConnection | None = None
        self._publisher: ConfirmingPublisher | None = None
        self._consumers = Consumers(self.topology)

    @property
    def is_connected(self) -> bool:
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set()

    async def connect(self, stop: asyncio.Event | None = None) -> None:
        """Connects, retrying until the broker answers (or `stop` is set); declares the
        exchanges."""
        self._connection = await connect_robust(self._url, stop)
        # A message no queue is bound for is returned by the broker; on_return_raises makes
        # that a failed publish (the outbox keeps the event) instead of a silent loss.
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        await declare_exchanges(channel, self.topology)
        self._publisher = ConfirmingPublisher(
            channel, self.topology.events_exchange, self._publish_timeout
        )

    async def publish(self, event: Event) -> None:
        await self.publish_raw(
            event.routing_key, event.model_dump_json().encode(), event.event_id.hex
        )

    async def publish_raw(
        self,
        routing_key: str,
        body: bytes,
        message_id: str,
        expiration_seconds: float | None = None,
        event_type: str | None = None,
    ) -> None:
        """Returns once the broker confirmed the message; raises on a nack, a return (no queue
        is bound for `routing_key`) or after the timeout.

        `expiration_seconds` is the per-message TTL; `event_type` (default: the routing key) is
        what consumers decode the message by.
        """
        message = OutgoingMessage(routing_key, body, message_id, expiration_seconds, event_type)
        await self._connected_publisher().publish(message)

    async def publish_many(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        """Per message, whether the broker confirmed it (see ConfirmingPublisher.publish_many)."""
        return await self._connected_publisher().publish_many(messages)

    def unroutable_lately(self, seconds: float) -> set[str]:
        """Routing keys RabbitMQ returned (no queue bound) in the last `seconds`."""
        return set() if self._publisher is None else self._publisher.returned_within(seconds)

    async def consume(self, queue_base: str, handler: EventHandler, prefetch: int) -> None:
        """Declares the queues this consumer owns and delivers each event to `handler`; acks
        when it returns. A body that is not a valid event, or a PermanentFailure, is
        dead-lettered; any other error hands the message back after a pause."""
        if self._connection is None:
            raise RuntimeError("Broker.connect() was not called")
        await self._consumers.consume(self._connection, queue_base, handler, prefetch)

    async def dead_letter_counts(self, consumer_queues: Sequence[str]) -> dict[str, int]:
        """Messages in each consumer queue's dead-letter queue (by its full name), from a
        passive declare; a dead-letter queue not declared yet is left out."""
        if self._connection is None:
            raise RuntimeError("Broker.connect() was not called")
        counts: dict[str, int] = {}
        for base in consumer_queues:
            name = self.topology.dead_letter_queue(base)
            # A passive declare of a missing queue closes its channel: one channel per queue.
            channel = await self._connection.channel()
            try:
                queue = await channel.declare_queue(name, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                continue
            finally:
                # Always: a robust channel closed by the broker's 404 would otherwise reopen.
                with contextlib.suppress(Exception):
                    await channel.close()
            counts[name] = queue.declaration_result.message_count or 0
        return counts

    async def stop_consuming(self) -> None:
        """Cancels every consumer: no new deliveries; unacked ones go back to their queues."""
        await self._consumers.stop()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    def _connected_publisher(self) -> ConfirmingPublisher:
        if self._publisher is None:
            raise RuntimeError("Broker.connect() was not called")
        return self._publisher
