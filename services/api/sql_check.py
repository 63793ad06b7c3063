"""Checks report SQL on create and update: the data source prepares it, in bounded time."""

import asyncio

import asyncpg

from shared.data_source_policy import check_data_source
from shared.data_source_rights import DataSourceRefused, DataSourceUnreachable
from shared.settings import DatabaseSettings
from shared.sql_guard import InvalidReportSql, check_single_statement

# statement_timeout is this much longer than lock_timeout, so a lock wait is reported as such.
STATEMENT_GRACE_SECONDS = 1.0
# Connecting and the round trips around the prepare get this much on top of both.
CONNECT_GRACE_SECONDS = 2.0


class DataSourceUnavailable(Exception):
    """The data source did not answer, so the SQL could not be checked."""


class SqlChecker:
    """A small asyncpg pool on the data source, opened on first use once the data source's
    rights were checked (start-up checks too, but the data source may not have answered then).

    Preparing a query takes a lock on every table it reads, so a table locked by another
    session (ALTER TABLE, LOCK TABLE, a long migration) would hold the check — and the request —
    forever: the checking connections have `lock_timeout` and `statement_timeout`.
    """

    def __init__(self, settings: DatabaseSettings, timeout_seconds: float) -> None:
        self._settings = settings
        self._timeout_seconds = timeout_seconds
        self._pool: asyncpg.Pool | None = None

    async def check(self, sql: str) -> str:
        """The normalized SQL; raises InvalidReportSql with PostgreSQL's message, or
        DataSourceUnavailable when the data source cannot answer in time."""
        try:
            async with asyncio.timeout(self._overall_seconds):
                pool = await self._connected_pool()
                async with pool.acquire() as connection, connection.transaction(readonly=True):
                    return await check_single_statement(connection, sql)
        except InvalidReportSql as error:
            busy = self._timed_out(error)
            if busy is None:
                raise
            raise busy from error
        except TimeoutError as error:
            raise DataSourceUnavailable(f"no answer within {self._overall_seconds:g} s") from error
        except (
            OSError,
            asyncpg.CannotConnectNowError,
            asyncpg.InterfaceError,
            asyncpg.PostgresConnectionError,
        ) as error:
            raise DataSourceUnavailable(str(error)) from error

    def _timed_out(self, error: InvalidReportSql) -> DataSourceUnavailable | None:
        """A refusal caused by our own timeouts says nothing about the SQL: the data source is
        busy, so the client should try again rather than fix its query."""
        cause = error.__cause__
        if isinstance(cause, asyncpg.LockNotAvailableError):
            return DataSourceUnavailable(
                "a table the query reads is locked by another session "
                f"(gave up after {self._timeout_seconds:g} s); try again later"
            )
        if isinstance(cause, asyncpg.QueryCanceledError):
            return DataSourceUnavailable(
                f"the check took longer than "
                f"{self._timeout_seconds + STATEMENT_GRACE_SECONDS:g} s; try again later"
            )
        return None

    @property
    def _overall_seconds(self) -> float:
        return self._timeout_seconds + STATEMENT_GRACE_SECONDS + CONNECT_GRACE_SECONDS

    async def _connected_pool(self) -> asyncpg.Pool:
        """Any error while connecting (refused, unknown database, bad password) is the data
        source being unavailable, not a problem of the report's SQL."""
        if self._pool is None:
            lock_ms = round(self._timeout_seconds * 1000)
            statement_ms = round((self._timeout_seconds + STATEMENT_GRACE_SECONDS) * 1000)
            try:
                dsn = await check_data_source(self._settings)
                self._pool = await asyncpg.create_pool(
                    dsn,
                    min_size=1,
                    max_size=2,
                    timeout=self._timeout_seconds,
                    server_settings={
                        "lock_timeout": str(lock_ms),
                        "statement_timeout": str(statement_ms),
                    },
                )
            except (
                DataSourceRefused,
                DataSourceUnreachable,
                OSError,
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
            ) as error:
                raise DataSourceUnavailable(str(error)) from error
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
