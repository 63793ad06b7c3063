"""RabbitMQ adapter (aio-pika): connect, declare the topology, publish with confirms, consume."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
import aiormq
import aiormq.abc
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aio_pika.message import encode_expiration
from aiormq.abc import ChannelFrame
from pamqp.header import ContentHeader
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
PERSISTENT = 2  # AMQP delivery mode: the broker writes the message to disk
# After a message came back unroutable the topology is declared again, at most this often.
TOPOLOGY_RESTORE_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class OutgoingMessage:
    """One message as Broker.publish_raw takes it, for publishing many at once."""

    routing_key: str
    body: bytes
    message_id: str
    expiration_seconds: float | None = None
    event_type: str | None = None


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
        self._publishing: AbstractRobustChannel | None = None
        self._topology_restored_at = -TOPOLOGY_RESTORE_INTERVAL_SECONDS
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
        # A message no queue is bound for is returned by the broker; on_return_raises makes
        # that a failed publish (the outbox keeps the event) instead of a silent loss.
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        await self._declare_topology(channel)
        self._publishing = channel

    async def _declare_topology(
        self, channel: AbstractRobustChannel, robust: bool = True
    ) -> AbstractExchange:
        """`robust`: the channel remembers each declaration and repeats it after a reconnect;
        a second declaration of the same thing must not be remembered again."""
        topology = self.topology
        exchange = await channel.declare_exchange(
            topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True, robust=robust
        )
        dead_letters = await channel.declare_exchange(
            topology.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True, robust=robust
        )
        for spec in QUEUES:
            queue = await channel.declare_queue(
                topology.queue(spec.name),
                durable=True,
                arguments=topology.queue_arguments(spec),
                robust=robust,
            )
            for routing_key in spec.routing_keys:
                await queue.bind(exchange, routing_key, robust=robust)
            if spec.dead_letter_routing_key is not None:
                continue  # a delay queue hands its messages on instead of dead-lettering them
            dead_letter_queue = await channel.declare_queue(
                topology.dead_letter_queue(spec.name),
                durable=True,
                arguments={"x-queue-type": "quorum"},
                robust=robust,
            )
            await dead_letter_queue.bind(dead_letters, topology.queue(spec.name), robust=robust)
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
        message = OutgoingMessage(routing_key, body, message_id, expiration_seconds, event_type)
        await self._send(await self._publishing_channel(), message)

    async def publish_many(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        """Sends the messages in order, in one write, and awaits their confirms together.

        Returns, per message, whether the broker confirmed it within the publish timeout. False
        (a nack, the timeout, a lost connection) means it may or may not have arrived, so it is
        safe to publish again; False for a returned message (no queue is bound for its routing
        key) means it reached no queue.
        """
        if not messages:
            return []
        channel = await self._publishing_channel()
        first_tag, confirmations = await _write_batch(
            channel, self.topology.events_exchange, messages
        )
        try:
            await asyncio.wait(confirmations, timeout=self._publish_timeout)
        finally:
            for confirmation in confirmations:
                confirmation.cancel()  # a confirm arriving later is ignored
            _forget_message_ids(channel, messages, first_tag)
        confirmed = [_is_confirmed(confirmation) for confirmation in confirmations]
        for message, ok in zip(messages, confirmed, strict=True):
            if ok:
                EVENTS_PUBLISHED.labels(message.routing_key).inc()
        if not all(confirmed):
            log.warning("%d of %d messages unconfirmed", confirmed.count(False), len(messages))
            returned_keys = {
                message.routing_key
                for message, confirmation in zip(messages, confirmations, strict=True)
                if _was_returned(confirmation)
            }
            if returned_keys:
                await self._restore_topology(returned_keys)
        return confirmed

    async def _publishing_channel(self) -> aiormq.Channel:
        if self._publishing is None:
            raise RuntimeError("Broker.connect() was not called")
        # While the connection is being restored this waits for it, up to the publish timeout.
        channel = await asyncio.wait_for(
            self._publishing.get_underlay_channel(), self._publish_timeout
        )
        if not isinstance(channel, aiormq.Channel):
            raise TypeError(f"unexpected aiormq channel {channel!r}")
        return channel

    async def _send(self, channel: aiormq.abc.AbstractChannel, message: OutgoingMessage) -> None:
        """One message through aiormq's basic_publish: the frames and properties publish_many
        sends, with the confirm (or the nack, the return, or the timeout) raised to the caller."""
        try:
            await channel.basic_publish(
                message.body,
                exchange=self.topology.events_exchange,
                routing_key=message.routing_key,
                properties=_properties(message),
                mandatory=True,
                timeout=self._publish_timeout,
            )
        except aiormq.exceptions.PublishError:
            await self._restore_topology({message.routing_key})
            raise
        EVENTS_PUBLISHED.labels(message.routing_key).inc()

    async def _restore_topology(self, unroutable_keys: set[str]) -> None:
        """After RabbitMQ returned messages as unroutable: declares the exchanges, queues and
        bindings again (a no-op for what exists), so a queue deleted by hand comes back and the
        next attempt from the outbox is delivered. At most once a minute, within the publish
        timeout: a key no queue will ever be bound for must not turn every retry into a
        declaration (the caller may hold database locks meanwhile)."""
        now = time.monotonic()
        if self._publishing is None or (
            now - self._topology_restored_at < TOPOLOGY_RESTORE_INTERVAL_SECONDS
        ):
            return
        self._topology_restored_at = now
        log.error(
            "RabbitMQ returned messages for %s: no queue is bound; declaring the topology again",
            ", ".join(sorted(unroutable_keys)),
        )
        try:
            await asyncio.wait_for(
                self._declare_topology(self._publishing, robust=False), self._publish_timeout
            )
        except Exception:
            log.warning("declaring the topology again failed", exc_info=True)

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


async def _write_batch(
    channel: aiormq.Channel, exchange: str, messages: Sequence[OutgoingMessage]
) -> tuple[int, list[asyncio.Future[Any]]]:
    """The frames channel.basic_publish would send for each message, sent as one write.

    basic_publish costs a task, a lock, a queue hand-off, a drain and a send per message, about
    0.2 ms of CPU each; here those are paid once per batch. Each confirmation is registered the
    way basic_publish registers it: the channel numbers its publishes 1, 2, … (delivery tags)
    and the broker confirms by that number, so tags are taken under the channel's lock and
    handed back if the batch never reached the connection.
    """
    async with channel.lock:
        first_tag = channel.delivery_tag + 1
        confirmations: list[asyncio.Future[Any]] = []
        frames: list[Any] = []
        for tag, message in enumerate(messages, first_tag):
            confirmation = channel.create_future()
            channel.confirmations[tag] = confirmation
            # How a Basic.Return (unroutable) finds its confirmation.
            channel.message_id_delivery_tag[message.message_id] = tag
            confirmations.append(confirmation)
            frames.append(
                aiormq.spec.Basic.Publish(
                    exchange=exchange, routing_key=message.routing_key, mandatory=True
                )
            )
            frames.append(
                ContentHeader(properties=_properties(message), body_size=len(message.body))
            )
            frames.extend(channel._split_body(message.body))
        channel.delivery_tag += len(messages)
        try:
            await channel.write_queue.put(ChannelFrame.marshall(channel.number, frames))
        except BaseException:
            channel.delivery_tag = first_tag - 1
            for tag, confirmation in enumerate(confirmations, first_tag):
                channel.confirmations.pop(tag, None)
                confirmation.cancel()
            _forget_message_ids(channel, messages, first_tag)
            raise
    return first_tag, confirmations


def _properties(message: OutgoingMessage) -> aiormq.spec.Basic.Properties:
    return aiormq.spec.Basic.Properties(
        content_type="application/json",
        delivery_mode=PERSISTENT,
        message_id=message.message_id,
        expiration=encode_expiration(message.expiration_seconds),
        message_type=message.event_type or message.routing_key,
    )


def _forget_message_ids(
    channel: aiormq.Channel, messages: Sequence[OutgoingMessage], first_tag: int
) -> None:
    for tag, message in enumerate(messages, first_tag):
        if channel.message_id_delivery_tag.get(message.message_id) == tag:
            del channel.message_id_delivery_tag[message.message_id]


def _is_confirmed(confirmation: asyncio.Future[Any]) -> bool:
    """An ack; not a nack, a timeout or a return (the channel raises on returns)."""
    return confirmation.done() and not confirmation.cancelled() and confirmation.exception() is None


def _was_returned(confirmation: asyncio.Future[Any]) -> bool:
    return (
        confirmation.done()
        and not confirmation.cancelled()
        and isinstance(confirmation.exception(), aiormq.exceptions.PublishError)
    )


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


async def delete_namespace(amqp_url: str, namespace: str) -> None:
    """Removes a namespace's exchanges and queues (with any messages in them) from the broker:
    for test sessions and benchmarks that share a RabbitMQ. Stop its services first, or they
    declare their queues again."""
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
