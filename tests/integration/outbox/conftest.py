"""Outbox fixtures: a database of the outbox tests' own and a broker in a private namespace.

A relay publishes every pending row it finds, so these tests must not share the session
database (or its namespace) with services whose rows they would relay somewhere else.
"""

from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest
from pamqp.common import Arguments
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.topology import Topology
from tests.support.databases import migrated_database, sessions_on
from tests.support.environment import ADMIN_DSN, AMQP_URL


@pytest.fixture(scope="module")
async def outbox_database(run_id: str, migrated_template: str) -> AsyncIterator[str]:
    name = f"reportflow_test_{run_id}_outbox"
    async with migrated_database(ADMIN_DSN, name, migrated_template) as url:
        yield url


@pytest.fixture(scope="module")
async def outbox_sessions(outbox_database: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with sessions_on(outbox_database) as sessions:
        yield sessions


@pytest.fixture
async def outbox_db(outbox_database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(outbox_database)
    yield connection
    await connection.close()


@pytest.fixture
async def amqp_channel() -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A plain channel for arranging queues and reading what was published."""
    connection = await aio_pika.connect(AMQP_URL)
    yield await connection.channel()
    await connection.close()


async def bind_queue(
    channel: aio_pika.abc.AbstractChannel,
    topology: Topology,
    routing_key: str,
    arguments: Arguments = None,
) -> aio_pika.abc.AbstractQueue:
    """An exclusive queue on the namespace's events exchange."""
    exchange = await channel.get_exchange(topology.events_exchange)
    queue = await channel.declare_queue(exclusive=True, arguments=arguments)
    await queue.bind(exchange, routing_key)
    return queue
