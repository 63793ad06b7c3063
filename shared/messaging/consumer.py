"""Consumes a queue: decodes each event, hands it to its handler, then acks, retries or
dead-letters it."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from pydantic import ValidationError

from shared.events import Event, decode_event
from shared.messaging.declaration import declare_consumer_queues
from shared.metrics import MESSAGES_CONSUMED, MESSAGES_DEAD_LETTERED, MESSAGES_FAILED
from shared.topology import Topology

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], Awaitable[None]]
MAX_RETRY_BACKOFF_SECONDS = 30.0


class PermanentFailure(Exception):
    """A message that no retry can process: it goes to the dead-letter queue at once."""


def retry_backoff_seconds(delivery_count: int) -> float:
    """Pause before handing a failed message back, growing with each delivery."""
    return float(min(MAX_RETRY_BACKOFF_SECONDS, 2 ** max(delivery_count, 0)))


class Consumers:
    """A service's subscriptions, each on a channel of its own with its own prefetch."""

    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self._subscriptions: list[tuple[AbstractQueue, str]] = []

    async def consume(
        self,
        connection: AbstractRobustConnection,
        queue_base: str,
        handler: EventHandler,
        prefetch: int,
    ) -> None:
        """Declares the queues this consumer owns, then delivers each event to `handler`.

        The subscription is robust: after a reconnect, or after RabbitMQ cancelled it because
        the queue was deleted, aio-pika declares the queue and its bindings again and
        subscribes again (see declare_consumer_queues).
        """
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await declare_consumer_queues(channel, self._topology, queue_base)

        async def on_message(message: AbstractIncomingMessage) -> None:
            await _dispatch(message, handler, queue_base)

        self._subscriptions.append((queue, await queue.consume(on_message)))

    async def stop(self) -> None:
        """Cancels every subscription: no new deliveries; unacked ones go back to their queues."""
        for queue, consumer_tag in self._subscriptions:
            try:
                await queue.cancel(consumer_tag)
            except Exception:
                log.warning("could not cancel consumer %s", consumer_tag, exc_info=True)
        self._subscriptions.clear()


def _delivery_count(message: AbstractIncomingMessage) -> int:
    count = (message.headers or {}).get("x-delivery-count", 0)
    return count if isinstance(count, int) else 0


async def _shielded(work: Awaitable[None], event: Event) -> None:
    """Runs `work` to its end even if this delivery is cancelled. aiormq cancels the callbacks of
    a channel that closes (a lost connection): a notifier cut off between claiming a mail and
    sending it left the mail claimed and never sent. The message, unacked, is delivered again,
    and handlers are idempotent, so finishing the work is always safe."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(lambda done: _log_orphaned_failure(done, event))
        raise


def _log_orphaned_failure(task: asyncio.Future[None], event: Event) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "handling %s %s failed after its delivery was cancelled; it is delivered again",
            event.routing_key,
            event.event_id,
            exc_info=task.exception(),
        )


async def _dispatch(
    message: AbstractIncomingMessage, handler: EventHandler, queue_base: str
) -> None:
    """A body that is not a valid event, or a PermanentFailure, is dead-lettered. Any other
    error hands the message back after a pause; the queue's delivery limit bounds the retries."""
    try:
        event = decode_event(message.type or message.routing_key or "", message.body)
    except (KeyError, ValidationError) as error:
        log.error("dead-lettering an undecodable %r message: %s", message.routing_key, error)
        await message.reject(requeue=False)
        MESSAGES_DEAD_LETTERED.labels(queue_base).inc()
        return
    try:
        await _shielded(handler(event), event)
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
