"""The fault proxy forwards to the real PostgreSQL and RabbitMQ, and cuts, black-holes or slows
the connection on demand."""

import asyncio
import time
from collections.abc import Iterator

import aio_pika
import asyncpg
import pytest

from tests.support.environment import ADMIN_DSN, AMQP_URL
from tests.support.fault_proxy import FaultProxy


@pytest.fixture
def postgres_proxy() -> Iterator[FaultProxy]:
    with FaultProxy.for_url(ADMIN_DSN) as proxy:
        yield proxy


async def test_it_forwards_queries_and_amqp_unchanged() -> None:
    with FaultProxy.for_url(ADMIN_DSN) as postgres, FaultProxy.for_url(AMQP_URL) as rabbitmq:
        connection = await asyncpg.connect(postgres.url(ADMIN_DSN))
        try:
            assert await connection.fetchval("SELECT repeat('x', 1000000)") == "x" * 1_000_000
        finally:
            await connection.close()
        amqp = await aio_pika.connect(rabbitmq.url(AMQP_URL))
        try:
            channel = await amqp.channel()
            queue = await channel.declare_queue(exclusive=True)
            await channel.default_exchange.publish(aio_pika.Message(b"hello"), queue.name)
            message = await queue.get(timeout=5)
            assert message.body == b"hello"
        finally:
            await amqp.close()


async def test_a_cut_resets_open_connections_and_refuses_new_ones_until_restored(
    postgres_proxy: FaultProxy,
) -> None:
    connection = await asyncpg.connect(postgres_proxy.url(ADMIN_DSN))

    postgres_proxy.cut()
    with pytest.raises((ConnectionError, asyncpg.exceptions.ConnectionDoesNotExistError)):
        await connection.fetchval("SELECT 1")
    with pytest.raises((ConnectionError, OSError)):
        await asyncpg.connect(postgres_proxy.url(ADMIN_DSN), timeout=5)
    postgres_proxy.restore()

    again = await asyncpg.connect(postgres_proxy.url(ADMIN_DSN))
    try:
        assert await again.fetchval("SELECT 1") == 1
    finally:
        await again.close()
    connection.terminate()


async def test_a_black_hole_stalls_queries_and_connects_then_lets_them_finish(
    postgres_proxy: FaultProxy,
) -> None:
    connection = await asyncpg.connect(postgres_proxy.url(ADMIN_DSN))

    with postgres_proxy.black_holed():
        with pytest.raises(TimeoutError):
            await asyncpg.connect(postgres_proxy.url(ADMIN_DSN), timeout=0.5)
        stalled = asyncio.create_task(connection.fetchval("SELECT 42"))
        done, _ = await asyncio.wait({stalled}, timeout=0.5)
        assert not done  # neither answered nor failed: the bytes are held

    assert await asyncio.wait_for(stalled, timeout=5) == 42
    await connection.close()


async def test_slow_delays_each_round_trip(postgres_proxy: FaultProxy) -> None:
    connection = await asyncpg.connect(postgres_proxy.url(ADMIN_DSN))
    try:
        postgres_proxy.slow(0.2)
        started = time.monotonic()
        assert await connection.fetchval("SELECT 1") == 1
        slowed = time.monotonic() - started
        postgres_proxy.restore()
        started = time.monotonic()
        await connection.fetchval("SELECT 1")
        normal = time.monotonic() - started
    finally:
        await connection.close()
    assert slowed >= 0.4  # 0.2 s on the way there and 0.2 s on the way back
    assert normal < 0.2
