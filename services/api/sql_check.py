"""Checks report SQL on create and update by asking the data source to prepare it."""

import asyncpg

from shared.sql_guard import check_single_statement


class DataSourceUnavailable(Exception):
    """The data source did not answer, so the SQL could not be checked."""


class SqlChecker:
    """A small asyncpg pool on the data source, opened on first use."""

    def __init__(self, data_source_dsn: str) -> None:
        self._dsn = data_source_dsn
        self._pool: asyncpg.Pool | None = None

    async def check(self, sql: str) -> str:
        """The normalized SQL; raises InvalidReportSql with PostgreSQL's message."""
        pool = await self._connected_pool()
        try:
            async with pool.acquire() as connection, connection.transaction(readonly=True):
                return await check_single_statement(connection, sql)
        except (
            OSError,
            asyncpg.CannotConnectNowError,
            asyncpg.InterfaceError,
            asyncpg.PostgresConnectionError,
        ) as error:
            raise DataSourceUnavailable(str(error)) from error

    async def _connected_pool(self) -> asyncpg.Pool:
        """Any error while connecting (refused, unknown database, bad password) is the data
        source being unavailable, not a problem of the report's SQL."""
        if self._pool is None:
            try:
                self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=2)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                raise DataSourceUnavailable(str(error)) from error
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
