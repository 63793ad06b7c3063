"""Only a service that writes outbox rows runs a relay: the notifier leaves them to the others."""

import asyncio
import uuid

import aio_pika
import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import RunRequested
from shared.messaging import Broker
from shared.outbox import POLL_SECONDS, add_events
from tests.integration.outbox.conftest import bind_queue
from tests.support.services import StartService


async def is_published(db: asyncpg.Connection, event: RunRequested) -> bool:
    published_at = await db.fetchval(
        "SELECT published_at FROM outbox WHERE event_id = $1", event.event_id
    )
    return published_at is not None


async def published_within(db: asyncpg.Connection, event: RunRequested, seconds: float) -> bool:
    for _ in range(int(seconds / 0.05)):
        if await is_published(db, event):
            return True
        await asyncio.sleep(0.05)
    return await is_published(db, event)


async def next_message(
    queue: aio_pika.abc.AbstractQueue, within: float
) -> aio_pika.abc.AbstractIncomingMessage:
    async with asyncio.timeout(within), queue.iterator() as messages:
        async for message in messages:
            await message.ack()
            return message
    raise AssertionError("the queue was closed")


async def test_the_notifier_relays_no_outbox_rows_and_the_scheduler_does(
    outbox_database: str,
    outbox_sessions: async_sessionmaker[AsyncSession],
    outbox_db: asyncpg.Connection,
    private_broker: Broker,
    amqp_channel: aio_pika.abc.AbstractChannel,
    start_service: StartService,
) -> None:
    probe = await bind_queue(amqp_channel, private_broker.topology, RunRequested.routing_key)
    event = RunRequested(run_id=uuid.uuid4(), report_id=uuid.uuid4())
    async with outbox_sessions.begin() as session:
        await add_events(session, [event])
    env = {"DATABASE_URL": outbox_database, "AMQP_NAMESPACE": private_broker.topology.namespace}

    notifier = start_service("notifier", **env)
    try:
        await asyncio.sleep(3 * POLL_SECONDS)  # a relay would have polled three times
        assert not await is_published(outbox_db, event)
    finally:
        notifier.stop()

    scheduler = start_service("scheduler", **env)
    try:
        message = await next_message(probe, within=10)
        # The relay marks the row once RabbitMQ confirmed it, so the message can arrive just
        # before that commit; stopping the scheduler first could cut the commit short.
        marked = await published_within(outbox_db, event, seconds=5)
    finally:
        scheduler.stop()
    assert message.message_id == event.event_id.hex
    assert marked
