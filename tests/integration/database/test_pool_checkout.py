"""A pooled connection of the system of record is checked when it is taken from the pool: one
the server closed is replaced without an error, whether it was handed back just before or has
been idle long enough to be pinged."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import database
from shared.database import create_engine, create_sessionmaker
from shared.settings import DatabaseSettings


@pytest.fixture
async def one_connection_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DatabaseSettings(database_url=database_url, db_pool_size=1))
    yield engine
    await engine.dispose()


async def _backend(engine: AsyncEngine) -> int:
    async with create_sessionmaker(engine).begin() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")))


async def _terminate(db: asyncpg.Connection, pid: int) -> None:
    assert await db.fetchval("SELECT pg_terminate_backend($1)", pid)
    for _ in range(50):  # the server ends the backend, asyncpg sees the socket close
        if not await db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)


async def test_a_connection_the_server_closed_is_replaced_without_a_ping(
    one_connection_engine: AsyncEngine, db: asyncpg.Connection
) -> None:
    first = await _backend(one_connection_engine)
    assert await _backend(one_connection_engine) == first  # kept in the pool
    await _terminate(db, first)
    assert await _backend(one_connection_engine) != first


async def test_a_connection_idle_past_the_ping_interval_is_pinged_and_still_replaced_when_closed(
    one_connection_engine: AsyncEngine, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    first = await _backend(one_connection_engine)
    assert await _backend(one_connection_engine) == first  # the ping passes
    await _terminate(db, first)
    assert await _backend(one_connection_engine) != first
