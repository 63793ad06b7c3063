"""Databases of a test's own, dropped afterwards: empty, migrated to head, or copied from a
template database a session migrated once."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from deploy.bootstrap import on_database
from shared.database import create_engine, create_sessionmaker
from shared.migrate import upgrade_to_head
from shared.settings import DatabaseSettings


@asynccontextmanager
async def empty_database(
    admin_dsn: str, name: str, template: str | None = None
) -> AsyncIterator[str]:
    """Yields the new database's URL; `admin_dsn` names a database to connect to for CREATE.
    With `template`, the new database is a copy of that one (nobody may be connected to it)."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await admin.close()
    try:
        yield on_database(admin_dsn, name)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def migrated_database(
    admin_dsn: str, name: str, template: str | None = None
) -> AsyncIterator[str]:
    """Migrated to head by Alembic, or, given a `template` already at head (the session's
    `migrated_template` fixture), copied from it: a file copy, several times faster."""
    if template is not None:
        async with empty_database(admin_dsn, name, template) as url:
            yield url
        return
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
