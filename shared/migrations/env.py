"""Alembic environment: migrates the database named by DATABASE_URL (or the config's URL)."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from shared.models import Base
from shared.settings import DatabaseSettings, sqlalchemy_url


def _database_url() -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    return sqlalchemy_url(configured or DatabaseSettings().database_dsn)


def _run_migrations(connection: object) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata)  # type: ignore[arg-type]
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(_database_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
