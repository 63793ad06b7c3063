"""Databases of a test's own, dropped afterwards: empty, or migrated to head."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.database import create_engine, create_sessionmaker
from shared.migrate import upgrade_to_head
from shared.settings import DatabaseSettings


@asynccontextmanager
async def empty_database(admin_dsn: str, name: str) -> AsyncIterator[str]:
    """Yields the new database's URL; `admin_dsn` names a database to connect to for CREATE."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{admin_dsn.rpartition('/')[0]}/{name}"
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def migrated_database(admin_dsn: str, name: str) -> AsyncIterator[str]:
    async with empty_database(admin_dsn, name) as url:
        await asyncio.to_thread(upgrade_to_head, url)
        yield url


@asynccontextmanager
async def sessions_on(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the database at `url`, as the services make them; the engine is disposed."""
    engine = create_engine(DatabaseSettings(database_url=url))
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()
