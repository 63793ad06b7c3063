"""Publishes with publisher confirms: one message, or a batch in one write with its confirms
awaited together. The only module that relies on aiormq's channel internals (see _write_batch)."""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiormq
from aio_pika.abc import AbstractRobustChannel
from aio_pika.message import encode_expiration
from aiormq.abc import ChannelFrame
from pamqp.header import ContentHeader

from shared.metrics import EVENTS_PUBLISHED

log = logging.getLogger(__name__)

PERSISTENT = 2  # AMQP delivery mode: the broker writes the message to disk


@dataclass(frozen=True)
class OutgoingMessage:
    """One message as Broker.publish_raw takes it, for publishing many at once."""

    routing_key: str
    body: bytes
    message_id: str
    expiration_seconds: float | None = None
    event_type: str | None = None


class ConfirmingPublisher:
    """Publishes onto one exchange through a channel opened with publisher confirms and
    `on_return_raises`: a message no queue is bound for comes back from RabbitMQ (every publish
    is mandatory) and counts as not published, so the outbox keeps it until its consumer has
    declared its queue."""

    def __init__(self, channel: AbstractRobustChannel, exchange: str, timeout: float) -> None:
        self._channel = channel
        self._exchange = exchange
        self._timeout = timeout
        # Routing key → when RabbitMQ last returned a message of it (monotonic seconds).
        self._returned_at: dict[str, float] = {}

    def returned_within(self, seconds: float) -> set[str]:
        """Routing keys RabbitMQ returned a message of (no queue bound) in the last `seconds`."""
        since = time.monotonic() - seconds
        return {key for key, at in self._returned_at.items() if at >= since}

    async def publish(self, message: OutgoingMessage) -> None:
        """Returns once the broker confirmed the message; raises on a nack, a return or after
        the timeout."""
        channel = await self._underlay_channel()
        await channel.basic_publish(
            message.body,
            exchange=self._exchange,
            routing_key=message.routing_key,
            properties=_properties(message),
            mandatory=True,
            timeout=self._timeout,
        )
        EVENTS_PUBLISHED.labels(message.routing_key).inc()

    async def publish_many(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        """Sends the messages in order, in one write, and awaits their confirms together.

        Returns, per message, whether the broker confirmed it within the timeout. False (a nack,
        the timeout, a lost connection) means it may or may not have arrived, so it is safe to
        publish again; False for a returned message means it reached no queue.
        """
        if not messages:
            return []
        channel = await self._underlay_channel()
        first_tag, confirmations = await _write_batch(channel, self._exchange, messages)
        try:
            await asyncio.wait(confirmations, timeout=self._timeout)
        finally:
            for confirmation in confirmations:
                confirmation.cancel()  # a confirm arriving later is ignored
            _forget_message_ids(channel, messages, first_tag)
        confirmed = [_is_confirmed(confirmation) for confirmation in confirmations]
        for message, ok in zip(messages, confirmed, strict=True):
            if ok:
                EVENTS_PUBLISHED.labels(message.routing_key).inc()
        if not all(confirmed):
            returned = _returned_keys(messages, confirmations)
            now = time.monotonic()
            self._returned_at.update(dict.fromkeys(returned, now))
            _log_unconfirmed(messages, confirmations, returned)
        return confirmed

    async def _underlay_channel(self) -> aiormq.Channel:
        # While the connection is being restored this waits for it, up to the timeout.
        channel = await asyncio.wait_for(self._channel.get_underlay_channel(), self._timeout)
        if not isinstance(channel, aiormq.Channel):
            raise TypeError(f"unexpected aiormq channel {channel!r}")
        return channel


async def _write_batch(
    channel: aiormq.Channel, exchange: str, messages: Sequence[OutgoingMessage]
) -> tuple[int, list[asyncio.Future[Any]]]:
    """The frames channel.basic_publish would send for each message, sent as one write.

    basic_publish costs a task, a lock, a queue hand-off, a drain and a send per message, about
    0.2 ms of CPU each; here those are paid once per batch. Each confirmation is registered the
    way basic_publish registers it: the channel numbers its publishes 1, 2, … (delivery tags)
    and the broker confirms by that number, so tags are taken under the channel's lock and
    handed back if the batch never reached the connection. What this relies on is checked by
    tests/integration/messaging/test_aiormq_internals.py.
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
    """`expiration_seconds` is the per-message TTL, which is what makes a delay queue delay.
    The event type (default: the routing key) travels as the message's `type`, which consumers
    decode by, so a message keeps its meaning when it is re-routed (a delay queue, a re-drive
    from a dead-letter queue)."""
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


def _returned_keys(
    messages: Sequence[OutgoingMessage], confirmations: Sequence[asyncio.Future[Any]]
) -> set[str]:
    return {
        message.routing_key
        for message, confirmation in zip(messages, confirmations, strict=True)
        if _was_returned(confirmation)
    }


def _log_unconfirmed(
    messages: Sequence[OutgoingMessage],
    confirmations: Sequence[asyncio.Future[Any]],
    returned: set[str],
) -> None:
    unconfirmed = sum(not _is_confirmed(confirmation) for confirmation in confirmations)
    keys = ", ".join(sorted(returned))
    log.warning(
        "%d of %d messages unconfirmed%s",
        unconfirmed,
        len(messages),
        f"; returned for {keys}: no queue is bound yet (its consumer declares it)" if keys else "",
    )
