"""The single-statement guard: report SQL must be exactly one statement PostgreSQL can prepare."""

from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

QUERY_EXPECTED = "SQL query must return rows (a SELECT, VALUES, TABLE or WITH query)"


class InvalidReportSql(ValueError):
    """The report's SQL is empty, not one statement, or rejected by PostgreSQL (its message and,
    where PostgreSQL gives one, the 1-based character `position` in the SQL it prepared)."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(f"{message} (at character {position})" if position else message)
        self.message = message
        self.position = position

    def at(self, position: int) -> "InvalidReportSql":
        """The same error with its position moved, e.g. into the SQL as the user wrote it."""
        return InvalidReportSql(self.message, position)


def normalize_report_sql(sql: str) -> str:
    """Strips surrounding white space and trailing semicolons (COPY cannot wrap those)."""
    normalized = sql.strip()
    while normalized.endswith(";"):
        normalized = normalized[:-1].rstrip()
    if not normalized:
        raise InvalidReportSql("SQL query is empty")
    return normalized


async def check_single_statement(
    connection: "asyncpg.Connection[Any] | PoolConnectionProxy[Any]", sql: str
) -> str:
    """The normalized SQL, once PostgreSQL has prepared it as one statement that returns rows.

    Preparing uses the extended protocol, which refuses a second statement; so a text such as
    `1) TO STDOUT; DELETE ...` that would smuggle a command through COPY's simple protocol is
    rejected here, before it is ever wrapped.
    """
    normalized = normalize_report_sql(sql)
    try:
        statement = await connection.prepare(normalized)
    except asyncpg.PostgresError as error:
        raise InvalidReportSql(str(error), _position(error)) from error
    except asyncpg.InterfaceError as error:
        raise InvalidReportSql(str(error)) from error
    except asyncpg.InternalClientError as error:
        # e.g. a column of a pseudo-type (pg_statistic's anyarray) asyncpg cannot describe
        raise InvalidReportSql(f"the result's column types cannot be read: {error}") from error
    if not statement.get_attributes():
        raise InvalidReportSql(QUERY_EXPECTED)
    if statement.get_parameters():
        raise InvalidReportSql("SQL query must not contain parameters ($1, $2, ...)")
    await _ensure_query_expression(connection, normalized)
    return normalized


async def _ensure_query_expression(
    connection: "asyncpg.Connection[Any] | PoolConnectionProxy[Any]", normalized: str
) -> None:
    """Utility statements that return rows (EXPLAIN, SHOW, FETCH) are not reports: only a query
    can stand as a subquery, which is also how the exporters wrap it."""
    try:
        await connection.prepare(f"SELECT * FROM (\n{normalized}\n) AS report")
    except asyncpg.PostgresError as error:
        raise InvalidReportSql(QUERY_EXPECTED) from error


def _position(error: asyncpg.PostgresError) -> int | None:
    position = getattr(error, "position", None)
    return int(position) if position else None
