"""SQLAlchemy async engine and session factory for the system of record."""

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.settings import DatabaseSettings, sqlalchemy_url


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(settings.database_dsn),
        pool_size=settings.db_pool_size,
        pool_pre_ping=True,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
