"""The pool's one-round-trip pre-ping still finds a pooled connection that died and replaces it."""

import asyncpg
from sqlalchemy import text

from shared.database import create_engine
from shared.settings import DatabaseSettings


async def test_a_pooled_connection_killed_while_idle_is_replaced_unnoticed(
    database_url: str, db: asyncpg.Connection
) -> None:
    engine = create_engine(DatabaseSettings(database_url=database_url, db_pool_size=1))
    try:
        async with engine.connect() as connection:
            killed = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert await db.fetchval("SELECT pg_terminate_backend($1, 5000)", killed)
        async with engine.connect() as connection:
            replacement = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert replacement != killed
    finally:
        await engine.dispose()
