"""Events published at once after their commit are marked, so the relay never sends them again;
unconfirmed ones stay for the relay."""

import asyncio
import uuid
from datetime import timedelta

import aio_pika
import aiormq
import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import shared.outbox
from shared.events import RunCompleted, RunRequested, utc_now
from shared.messaging import Broker, OutgoingMessage
from shared.models import RunStatus
from shared.outbox import OutboxRelay, OutboxRow, add_events
from shared.topology import NOTIFIER_QUEUE, RUNNER_QUEUE
from tests.integration.outbox.conftest import bind_queue
from tests.support.environment import AMQP_URL
from tests.support.queues import declare_queues_of

RETENTION = timedelta(days=7)


def run_requested() -> RunRequested:
    return RunRequested(run_id=uuid.uuid4(), report_id=uuid.uuid4())


async def commit_events(
    sessions: async_sessionmaker[AsyncSession], count: int
) -> tuple[list[RunRequested], list[OutboxRow]]:
    events = [run_requested() for _ in range(count)]
    async with sessions.begin() as session:
        rows = await add_events(session, events)
    return events, rows


async def received(queue: aio_pika.abc.AbstractQueue) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Everything the queue holds, once nothing more arrives for half a second."""
    messages: list[aio_pika.abc.AbstractIncomingMessage] = []
    while True:
        message = await queue.get(fail=False, timeout=5)
        if message is None:
            await asyncio.sleep(0.5)
            message = await queue.get(fail=False, timeout=5)
            if message is None:
                return messages
        await message.ack()
        messages.append(message)


async def unpublished(db: asyncpg.Connection, events: list[RunRequested]) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM outbox WHERE event_id = ANY($1::uuid[]) AND published_at IS NULL",
            [event.event_id for event in events],
        )
    )


async def test_committed_events_are_published_once_and_not_again_by_the_relay(
    outbox_sessions: async_sessionmaker[AsyncSession],
    outbox_db: asyncpg.Connection,
    private_broker: Broker,
    amqp_channel: aio_pika.abc.AbstractChannel,
) -> None:
    probe = await bind_queue(amqp_channel, private_broker.topology, RunRequested.routing_key)
    events, rows = await commit_events(outbox_sessions, 3)
    relay = OutboxRelay(outbox_sessions, private_broker, RETENTION)

    assert await relay.publish_committed(rows) == 3
    assert await unpublished(outbox_db, events) == 0
    while await relay.publish_pending():
        pass
    assert await relay.publish_committed(rows) == 0  # already published: skipped

    messages = await received(probe)
    assert sorted(message.message_id or "" for message in messages) == sorted(
        event.event_id.hex for event in events
    )
    for message in messages:
        assert message.type == RunRequested.routing_key  # what consumers decode by
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.content_type == "application/json"
        assert RunRequested.model_validate_json(message.body) in events


async def test_unconfirmed_events_stay_unpublished_until_the_relay_sends_them(
    outbox_sessions: async_sessionmaker[AsyncSession],
    outbox_db: asyncpg.Connection,
    private_broker: Broker,
    amqp_channel: aio_pika.abc.AbstractChannel,
) -> None:
    # A full queue that rejects new messages makes RabbitMQ nack every publish it is bound to.
    rejecting = await bind_queue(
        amqp_channel,
        private_broker.topology,
        RunRequested.routing_key,
        {"x-max-length": 0, "x-overflow": "reject-publish"},
    )
    events, rows = await commit_events(outbox_sessions, 3)
    relay = OutboxRelay(outbox_sessions, private_broker, RETENTION)

    assert await relay.publish_committed(rows) == 0
    assert await unpublished(outbox_db, events) == 3

    await rejecting.delete(if_unused=False, if_empty=False)
    probe = await bind_queue(amqp_channel, private_broker.topology, RunRequested.routing_key)
    assert await relay.publish_pending() == 3
    assert await unpublished(outbox_db, events) == 0
    assert len(await received(probe)) == 3


async def test_publish_many_reports_each_message_and_publish_raw_raises_on_a_nack(
    private_broker: Broker, amqp_channel: aio_pika.abc.AbstractChannel
) -> None:
    await bind_queue(
        amqp_channel,
        private_broker.topology,
        "run.requested",
        {"x-max-length": 0, "x-overflow": "reject-publish"},
    )
    await declare_queues_of(AMQP_URL, private_broker.topology, NOTIFIER_QUEUE)
    event = run_requested()
    body = event.model_dump_json().encode()
    rejected = await private_broker.publish_many(
        [
            OutgoingMessage("run.requested", body, "nacked"),
            OutgoingMessage("run.completed", body, "acked"),
        ]
    )
    assert rejected == [False, True]
    with pytest.raises(aiormq.exceptions.DeliveryError):
        await private_broker.publish_raw("run.requested", body, "nacked-again")


async def test_a_message_no_queue_is_bound_for_is_not_taken_as_published(
    private_broker: Broker,
) -> None:
    await declare_queues_of(AMQP_URL, private_broker.topology, RUNNER_QUEUE)
    body = run_requested().model_dump_json().encode()
    confirmed = await private_broker.publish_many(
        [
            OutgoingMessage("nothing.is.bound.here", body, "returned"),
            OutgoingMessage(RunRequested.routing_key, body, "routed"),
        ]
    )
    assert confirmed == [False, True]
    with pytest.raises(aiormq.exceptions.PublishError):
        await private_broker.publish_raw("nothing.is.bound.here", body, "returned-again")


async def test_published_rows_older_than_the_retention_are_purged_and_nothing_else(
    outbox_sessions: async_sessionmaker[AsyncSession],
    outbox_db: asyncpg.Connection,
    private_broker: Broker,
) -> None:
    await outbox_db.execute("DELETE FROM outbox")
    expired, _ = await commit_events(outbox_sessions, 3)
    recent, _ = await commit_events(outbox_sessions, 2)
    pending, _ = await commit_events(outbox_sessions, 2)
    now = utc_now()
    await outbox_db.execute(
        "UPDATE outbox SET published_at = $2 WHERE event_id = ANY($1::uuid[])",
        [event.event_id for event in expired],
        now - timedelta(days=8),
    )
    await outbox_db.execute(
        "UPDATE outbox SET published_at = $2 WHERE event_id = ANY($1::uuid[])",
        [event.event_id for event in recent],
        now - timedelta(days=6),
    )
    relay = OutboxRelay(outbox_sessions, private_broker, RETENTION)

    assert await relay.purge_expired_batch(now) == 3
    kept = {row["event_id"] for row in await outbox_db.fetch("SELECT event_id FROM outbox")}
    assert kept == {event.event_id for event in recent + pending}
    assert await relay.purge_expired_batch(now) == 0


async def test_an_unroutable_event_stays_in_the_outbox_until_its_consumer_declares_the_queue(
    outbox_sessions: async_sessionmaker[AsyncSession],
    outbox_db: asyncpg.Connection,
    private_broker: Broker,
    amqp_channel: aio_pika.abc.AbstractChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As after the runner's queue was deleted by hand, or before the first runner started:
    # publishers declare no queues, so RabbitMQ returns the event.
    await outbox_db.execute("DELETE FROM outbox")
    await declare_queues_of(AMQP_URL, private_broker.topology, RUNNER_QUEUE)
    runner_queue = private_broker.topology.name(RUNNER_QUEUE)
    await amqp_channel.queue_delete(runner_queue)
    events, rows = await commit_events(outbox_sessions, 2)
    relay = OutboxRelay(outbox_sessions, private_broker, RETENTION)

    assert await relay.publish_committed(rows) == 0
    assert await relay.publish_pending() == 0
    assert await unpublished(outbox_db, events) == 2

    await declare_queues_of(AMQP_URL, private_broker.topology, RUNNER_QUEUE)  # the runner starts
    assert await relay.publish_pending() == 0  # held back for a while after the return …
    monkeypatch.setattr(shared.outbox, "UNROUTABLE_HOLD_SECONDS", 0.0)
    assert await relay.publish_pending() == 2  # … then tried again
    assert await unpublished(outbox_db, events) == 0
    queue = await amqp_channel.get_queue(runner_queue)
    assert sorted(message.message_id or "" for message in await received(queue)) == sorted(
        event.event_id.hex for event in events
    )


async def test_a_pile_of_unroutable_events_does_not_hold_up_the_others(
    outbox_sessions: async_sessionmaker[AsyncSession],
    outbox_db: asyncpg.Connection,
    private_broker: Broker,
    amqp_channel: aio_pika.abc.AbstractChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More unroutable events than one relay batch (the notifier never started, say) must not
    stop the runs requested after them from being published."""
    monkeypatch.setattr(shared.outbox, "BATCH_SIZE", 3)
    await outbox_db.execute("DELETE FROM outbox")
    await declare_queues_of(AMQP_URL, private_broker.topology, RUNNER_QUEUE)
    async with outbox_sessions.begin() as session:
        await add_events(
            session,
            [
                RunCompleted(run_id=uuid.uuid4(), report_id=uuid.uuid4(), status=RunStatus.SUCCESS)
                for _ in range(5)
            ],
        )
    requested, _ = await commit_events(outbox_sessions, 2)
    relay = OutboxRelay(outbox_sessions, private_broker, RETENTION)

    assert await relay.publish_pending() == 0  # the oldest three: run.completed, returned
    assert await relay.publish_pending() == 2  # run.completed held back: the requests go out
    assert await unpublished(outbox_db, requested) == 0
    pending_completed = await outbox_db.fetchval(
        "SELECT count(*) FROM outbox WHERE routing_key = 'run.completed' AND published_at IS NULL"
    )
    assert pending_completed == 5
