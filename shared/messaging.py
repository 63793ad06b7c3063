"""RabbitMQ adapter (aio-pika): connect, declare the topology, publish with confirms, consume."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from pydantic import ValidationError

from shared.events import Event, decode_event
from shared.metrics import (
    EVENTS_PUBLISHED,
    MESSAGES_CONSUMED,
    MESSAGES_DEAD_LETTERED,
    MESSAGES_FAILED,
)
from shared.settings import BrokerSettings
from shared.topology import QUEUES, Topology, queue_spec

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], Awaitable[None]]
CONNECT_RETRY_SECONDS = 2.0
MAX_RETRY_BACKOFF_SECONDS = 30.0


class PermanentFailure(Exception):
    """A message that no retry can process: it goes to the dead-letter queue at once."""


def retry_backoff_seconds(delivery_count: int) -> float:
    """Pause before handing a failed message back, growing with each delivery."""
    return float(min(MAX_RETRY_BACKOFF_SECONDS, 2 ** max(delivery_count, 0)))


class Broker:
    """One robust connection: a confirming channel for publishing, one channel per consumer.

    aio-pika's robust connection reconnects after a broker restart and re-declares what was
    declared through it, consumers included.
    """

    def __init__(self, settings: BrokerSettings) -> None:
        self._url = settings.amqp_url.get_secret_value()
        self._publish_timeout = settings.publish_timeout_seconds
        self.topology = Topology(settings.amqp_namespace, settings.delivery_limit)
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []

    @property
    def is_connected(self) -> bool:
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set()

    async def connect(self, stop: asyncio.Event | None = None) -> None:
        """Connects, retrying until the broker answers (or `stop` is set); declares the topology."""
        while True:
            try:
                self._connection = await aio_pika.connect_robust(
                    self._url, timeout=10, reconnect_interval=CONNECT_RETRY_SECONDS
                )
                break
            except (TimeoutError, OSError, aiormq.exceptions.AMQPError) as error:
                log.warning("RabbitMQ is not reachable (%s); retrying", error)
                if stop is not None and stop.is_set():
                    raise
                await asyncio.sleep(CONNECT_RETRY_SECONDS)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await self._declare_topology(channel)

    async def _declare_topology(self, channel: AbstractChannel) -> AbstractExchange:
        topology = self.topology
        exchange = await channel.declare_exchange(
            topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        dead_letters = await channel.declare_exchange(
            topology.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
        )
        for spec in QUEUES:
            queue = await channel.declare_queue(
                topology.queue(spec.name), durable=True, arguments=topology.queue_arguments(spec)
            )
            for routing_key in spec.routing_keys:
                await queue.bind(exchange, routing_key)
            if spec.dead_letter_routing_key is not None:
                continue  # a delay queue hands its messages on instead of dead-lettering them
            dead_letter_queue = await channel.declare_queue(
                topology.dead_letter_queue(spec.name),
                durable=True,
                arguments={"x-queue-type": "quorum"},
            )
            await dead_letter_queue.bind(dead_letters, topology.queue(spec.name))
        return exchange

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
        """Returns once the broker confirmed the message; raises on a nack or after the timeout.

        `expiration_seconds` is the per-message TTL, which is what makes a delay queue delay.
        `event_type` (default: the routing key) travels as the message's `type`, which is what
        consumers decode by, so a message keeps its meaning when it is re-routed (a delay queue,
        a re-drive from a dead-letter queue).
        """
        if self._exchange is None:
            raise RuntimeError("Broker.connect() was not called")
        message = aio_pika.Message(
            body,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            expiration=expiration_seconds,
            type=event_type or routing_key,
        )
        await asyncio.wait_for(
            self._exchange.publish(message, routing_key, timeout=self._publish_timeout),
            self._publish_timeout,
        )
        EVENTS_PUBLISHED.labels(routing_key).inc()

    async def consume(self, queue_base: str, handler: EventHandler, prefetch: int) -> None:
        """Delivers each event of the queue to `handler`; acks when it returns.

        A body that is not a valid event, or a PermanentFailure, is dead-lettered. Any other
        error hands the message back after a pause; the queue's delivery limit bounds the retries.
        """
        if self._connection is None:
            raise RuntimeError("Broker.connect() was not called")
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.declare_queue(
            self.topology.queue(queue_base),
            durable=True,
            arguments=self.topology.queue_arguments(queue_spec(queue_base)),
        )

        async def on_message(message: AbstractIncomingMessage) -> None:
            await _dispatch(message, handler, queue_base)

        self._consumers.append((queue, await queue.consume(on_message)))

    async def stop_consuming(self) -> None:
        """Cancels every consumer: no new deliveries; unacked ones go back to their queues."""
        for queue, consumer_tag in self._consumers:
            try:
                await queue.cancel(consumer_tag)
            except Exception:
                log.warning("could not cancel consumer %s", consumer_tag, exc_info=True)
        self._consumers.clear()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


def _delivery_count(message: AbstractIncomingMessage) -> int:
    count = (message.headers or {}).get("x-delivery-count", 0)
    return count if isinstance(count, int) else 0


async def _dispatch(
    message: AbstractIncomingMessage, handler: EventHandler, queue_base: str
) -> None:
    try:
        event = decode_event(message.type or message.routing_key or "", message.body)
    except (KeyError, ValidationError) as error:
        log.error("dead-lettering an undecodable %r message: %s", message.routing_key, error)
        await message.reject(requeue=False)
        MESSAGES_DEAD_LETTERED.labels(queue_base).inc()
        return
    try:
        await handler(event)
    except PermanentFailure as error:
        log.error("dead-lettering %s %s: %s", event.routing_key, event.event_id, error)
        await message.reject(requeue=False)
        MESSAGES_DEAD_LETTERED.labels(queue_base).inc()
    except Exception:
        delivery_count = _delivery_count(message)
        log.exception(
            "handling %s %s failed (delivery %d); handing it back",
            event.routing_key,
            event.event_id,
            delivery_count + 1,
        )
        MESSAGES_FAILED.labels(queue_base).inc()
        await asyncio.sleep(retry_backoff_seconds(delivery_count))
        await message.nack(requeue=True)
    else:
        await message.ack()
        MESSAGES_CONSUMED.labels(queue_base).inc()
