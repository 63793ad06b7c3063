"""SQLAlchemy async engine and session factory for the system of record."""

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from shared.settings import DatabaseSettings, sqlalchemy_url

# A connection attempt or a statement that gets no answer (a stalled server, a network path that
# drops packets) fails after these instead of hanging the request or the worker that made it.
CONNECT_TIMEOUT_SECONDS = 2.0
COMMAND_TIMEOUT_SECONDS = 10.0
# The API's statements are small; a stale pooled connection costs one timed-out ping and one
# connect attempt, so a request answers (503) within REQUEST_COMMAND + CONNECT = 4.5 s.
REQUEST_COMMAND_TIMEOUT_SECONDS = 2.5
# A pooled connection idle at least this long is pinged before use, as pool_pre_ping would
# (BEGIN; ';'; ROLLBACK: three round trips); one handed back just before is used as it is.
PING_AFTER_IDLE_SECONDS = 1.0
CHECKED_IN_AT = "reportflow_checked_in_at"


def create_engine(
    settings: DatabaseSettings, command_timeout_seconds: float = COMMAND_TIMEOUT_SECONDS
) -> AsyncEngine:
    engine = create_async_engine(
        sqlalchemy_url(settings.database_dsn),
        pool_size=settings.db_pool_size,
        pool_pre_ping=False,  # check_on_checkout instead
        connect_args={
            "timeout": CONNECT_TIMEOUT_SECONDS,
            "command_timeout": command_timeout_seconds,
        },
    )
    check_on_checkout(engine)
    return engine


def check_on_checkout(engine: AsyncEngine) -> None:
    """Replaces a pooled connection the server closed (a restart, pg_terminate_backend: asyncpg
    has seen its socket close) without a round trip, and pings one idle for
    PING_AFTER_IDLE_SECONDS or more, so one that went silent meanwhile is found before use.

    Under load every connection is handed back and out again within milliseconds, and the
    ping that pool_pre_ping sends on every checkout was a quarter of a trivial run's round
    trips. Both failures invalidate the whole pool, as pool_pre_ping's do.
    """
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_: DBAPIConnection | None, record: ConnectionPoolEntry) -> None:
        record.info[CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(
        connection: DBAPIConnection, record: ConnectionPoolEntry, _: PoolProxiedConnection
    ) -> None:
        checked_in_at = record.info.pop(CHECKED_IN_AT, None)
        if checked_in_at is None:  # a new connection
            return
        driver: Any = record.driver_connection
        if driver is None or driver.is_closed():
            raise exc.InvalidatePoolError("the server closed the pooled connection")
        if time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, connection, None):
                raise exc.InvalidatePoolError(str(error)) from error
            raise


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# SQLSTATE classes that say PostgreSQL cannot serve now, not that the statement is wrong:
# 08 connection exception, 53 insufficient resources (53300: every connection slot is taken),
# 57P0x shutting down or starting up.
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P")


def database_unavailable(error: BaseException) -> bool:
    """PostgreSQL is down, unreachable or out of connections: worth a 503 and a retry."""
    if isinstance(error, exc.OperationalError | OSError):
        return True
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    return isinstance(error, exc.DBAPIError) and str(sqlstate or "").startswith(
        _UNAVAILABLE_SQLSTATES
    )
