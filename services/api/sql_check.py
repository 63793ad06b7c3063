"""Checks report SQL on create and update by asking the data source to prepare it."""

import asyncpg

from shared.data_source_policy import check_data_source
from shared.data_source_rights import DataSourceRefused, DataSourceUnreachable
from shared.settings import DatabaseSettings
from shared.sql_guard import check_single_statement


class DataSourceUnavailable(Exception):
    """The data source did not answer, so the SQL could not be checked."""


class SqlChecker:
    """A small asyncpg pool on the data source, opened on first use once the data source's
    rights were checked (start-up checks too, but the data source may not have answered then)."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self._settings = settings
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
                dsn = await check_data_source(self._settings)
                self._pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
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
