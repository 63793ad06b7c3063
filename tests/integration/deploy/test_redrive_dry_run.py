"""`deploy.redrive --dry-run` lists each dead-lettered message once, ends, and moves nothing."""

import aio_pika
import pytest

from deploy.redrive import redrive
from shared.messaging import Broker
from shared.topology import RUNNER_QUEUE
from tests.support.environment import AMQP_URL
from tests.support.queues import declare_queues_of, message_count_once_settled


async def test_a_dry_run_lists_every_message_once_and_leaves_them_all_in_place(
    private_broker: Broker,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await declare_queues_of(AMQP_URL, private_broker.topology, RUNNER_QUEUE)
    dead_letter_queue = private_broker.topology.dead_letter_queue(RUNNER_QUEUE)
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        for message_id in ("first", "second"):
            await channel.default_exchange.publish(
                aio_pika.Message(b"{}", message_id=message_id), routing_key=dead_letter_queue
            )
        monkeypatch.setenv("AMQP_URL", AMQP_URL)
        monkeypatch.setenv("AMQP_NAMESPACE", private_broker.topology.namespace)

        listed = await redrive(RUNNER_QUEUE, limit=None, dry_run=True)

        assert await message_count_once_settled(channel, dead_letter_queue, 2) == 2
    finally:
        await connection.close()
    assert listed == 2
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == [
        "first",
        "second",
    ]
