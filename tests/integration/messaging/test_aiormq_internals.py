"""What shared.messaging.publisher relies on inside aiormq is still there and still works.

The batch publish writes the frames channel.basic_publish would write and registers each
confirmation the way basic_publish does, through attributes aiormq does not document. A new
aiormq (or pamqp) version that renames, retypes or stops using one of them must fail here,
loudly, before it loses a confirm in production.
"""

import asyncio
import inspect
from collections.abc import AsyncIterator

import aio_pika
import aiormq
import aiormq.abc
import pytest
from aio_pika.message import encode_expiration
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from shared.messaging import Broker, OutgoingMessage
from shared.topology import Topology
from tests.support.environment import AMQP_URL


@pytest.fixture
async def aiormq_channel() -> AsyncIterator[aiormq.Channel]:
    """A confirming aiormq channel, as the publisher's robust channel wraps it."""
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    underlay = await channel.get_underlay_channel()
    assert isinstance(underlay, aiormq.Channel)
    yield underlay
    await connection.close()


async def test_the_channel_attributes_the_batch_publish_uses_exist_with_their_kinds(
    aiormq_channel: aiormq.Channel,
) -> None:
    channel = aiormq_channel
    assert isinstance(channel.number, int)
    assert isinstance(channel.delivery_tag, int)
    assert isinstance(channel.confirmations, dict)
    assert isinstance(channel.message_id_delivery_tag, dict)
    assert isinstance(channel.write_queue, asyncio.Queue)
    assert isinstance(channel.create_future(), asyncio.Future)
    async with channel.lock:  # an async context manager, held while tags are taken
        pass
    assert isinstance(channel.max_content_size, int)
    body = b"x" * (channel.max_content_size * 2 + 1)
    split = channel._split_body(body)
    assert all(isinstance(frame, ContentBody) for frame in split)
    assert [len(frame.value) for frame in split] == [
        channel.max_content_size,
        channel.max_content_size,
        1,
    ]
    frame = aiormq.abc.ChannelFrame.marshall(
        channel.number,
        [
            aiormq.spec.Basic.Publish(exchange="", routing_key="nowhere", mandatory=True),
            ContentHeader(properties=aiormq.spec.Basic.Properties(), body_size=1),
            ContentBody(b"x"),
        ],
    )
    assert isinstance(frame, aiormq.abc.ChannelFrame)
    assert encode_expiration(1.5) == "1500"
    assert issubclass(aiormq.exceptions.PublishError, aiormq.exceptions.DeliveryError)


def test_basic_publish_still_registers_confirmations_the_way_the_batch_imitates() -> None:
    source = inspect.getsource(aiormq.Channel.basic_publish)
    for statement in (
        "self.delivery_tag += 1",
        "self.confirmations[delivery_tag] = confirmation",
        "self.message_id_delivery_tag[message_id] = delivery_tag",
        "self._split_body(body)",
        "self.write_queue.put(",
        "ChannelFrame.marshall(",
    ):
        assert statement in source, f"aiormq's basic_publish no longer does {statement!r}"


async def test_a_batch_round_trips_with_confirms_and_keeps_delivery_tags_in_step(
    private_broker: Broker, aiormq_channel: aiormq.Channel
) -> None:
    topology: Topology = private_broker.topology
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(topology.events_exchange)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, "probe.batch")
        large = b"L" * (aiormq_channel.max_content_size * 2 + 7)  # several body frames
        batch = [
            OutgoingMessage("probe.batch", b'{"n": 1}', "first", expiration_seconds=60),
            OutgoingMessage("probe.batch", large, "large", event_type="probe.large"),
            OutgoingMessage("probe.unbound", b"{}", "returned"),
            OutgoingMessage("probe.batch", b'{"n": 3}', "last"),
        ]

        assert await private_broker.publish_many(batch) == [True, True, False, True]
        # A single publish after the batch: basic_publish takes the next tag, which the broker
        # confirms only if the batch advanced the channel's count exactly by its size.
        await private_broker.publish_raw("probe.batch", b"{}", "after-the-batch")

        received = []
        for _ in range(4):
            message = await queue.get(timeout=5)
            await message.ack()
            received.append(message)
    finally:
        await connection.close()
    assert [message.message_id for message in received] == [
        "first",
        "large",
        "last",
        "after-the-batch",
    ]
    assert received[1].body == large
    assert received[1].type == "probe.large"
    assert received[0].type == "probe.batch"
    assert received[0].expiration == 60
    assert all(message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT for message in received)
