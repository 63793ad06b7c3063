"""SQLAlchemy async engine and session factory for the system of record."""

from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from shared.settings import DatabaseSettings, sqlalchemy_url

# A connection attempt or a statement that gets no answer (a stalled server, a network path that
# drops packets) fails after these instead of hanging the request or the worker that made it.
CONNECT_TIMEOUT_SECONDS = 2.0
COMMAND_TIMEOUT_SECONDS = 10.0
# The API's statements are small; a stale pooled connection costs one timed-out ping and one
# connect attempt, so a request answers (503) within REQUEST_COMMAND + CONNECT = 4.5 s.
REQUEST_COMMAND_TIMEOUT_SECONDS = 2.5


def create_engine(
    settings: DatabaseSettings, command_timeout_seconds: float = COMMAND_TIMEOUT_SECONDS
) -> AsyncEngine:
    engine = create_async_engine(
        sqlalchemy_url(settings.database_dsn),
        pool_size=settings.db_pool_size,
        pool_pre_ping=True,
        connect_args={
            "timeout": CONNECT_TIMEOUT_SECONDS,
            "command_timeout": command_timeout_seconds,
        },
    )
    engine.dialect.do_ping = _ping_in_one_round_trip  # type: ignore[method-assign]
    return engine


def _ping_in_one_round_trip(dbapi_connection: Any) -> bool:
    """The pre-ping of every pool checkout, as one `;` instead of SQLAlchemy's BEGIN; `;`;
    ROLLBACK (three round trips, kept there for pgbouncer's transaction mode, which the
    services do not use): a trivial run checks out a connection four or five times. A dead
    connection still fails it, and the pool still replaces that connection (the same
    translation of the error as SQLAlchemy's own ping)."""
    try:
        await_(dbapi_connection._connection.fetchrow(";"))
    except Exception as error:
        dbapi_connection._handle_exception(error)
    return True


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
