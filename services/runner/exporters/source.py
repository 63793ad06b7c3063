"""The report's query on the data source: one read-only transaction, checked before it runs.

Every engine goes through here, so every engine runs the SQL only after the single-statement
guard proved it is one statement that returns rows, with the statement timeout set.
"""

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from asyncpg.transaction import Transaction

from services.runner.exporters.limits import LimitExceeded
from services.runner.exporters.request import ExportFailed
from services.runner.exporters.source_connections import DataSourceConnections
from services.runner.retry_policy import is_transient_sqlstate
from shared.report_parameters.references import SET_PARAMETER
from shared.sql_guard import InvalidReportSql, check_single_statement

# The data source role's own statement_timeout (ALTER ROLE ... SET) stays in force when it is
# the stricter one: this setting may only shorten it, never lift a limit the warehouse set.
# The milliseconds are written in (an int, never user text): without bind parameters it is one
# round trip (the simple protocol) instead of a prepare and an execute.
STRICTER_STATEMENT_TIMEOUT = """
SELECT set_config('statement_timeout', least(nullif(setting::bigint, 0), {ms:d})::text, true)
  FROM pg_settings WHERE name = 'statement_timeout'
"""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedQuery:
    connection: "asyncpg.Connection[Any]"
    sql: str

    def as_subquery(self, select_list: str) -> str:
        """`SELECT <select_list> FROM (<sql>) AS q`; safe only because `sql` passed the guard.

        The newlines keep a trailing `-- comment` from swallowing the closing parenthesis.
        """
        return f"SELECT {select_list} FROM (\n{self.sql}\n) AS q"


def _cancelled(error: asyncpg.QueryCanceledError, statement_timeout_ms: int) -> str:
    if "statement timeout" not in str(error):
        return str(error)  # cancelled by someone else (pg_cancel_backend)
    return (
        f"the query ran past its timeout of {statement_timeout_ms / 1000:g} s (the report's "
        f"timeout_seconds, or STATEMENT_TIMEOUT_SECONDS; the data source role's own if "
        f"shorter) and was cancelled: {error}"
    )


def _limit_behind(error: BaseException) -> LimitExceeded | None:
    """The limit that closed the connection (copy_csv.closing_on_limit), when that is why the
    COPY and the rollback after it failed."""
    cause = error.__context__
    while cause is not None and not isinstance(cause, LimitExceeded):
        cause = cause.__context__
    return cause


@asynccontextmanager
async def checked_query(
    connections: DataSourceConnections,
    sql: str,
    statement_timeout_ms: int,
    parameter_settings: Sequence[tuple[str, str]] = (),
    keep_connection: bool = False,
) -> AsyncIterator[CheckedQuery]:
    """Raises ExportFailed with PostgreSQL's message for anything the data source refuses.

    Each parameter is a transaction-local setting, name and value sent as bind parameters,
    which `sql` reads with current_setting: COPY itself cannot take bind parameters.
    `keep_connection`: the caller decodes no rows, so the connection may serve a later run if
    this one commits (source_connections).
    """
    try:
        connection, transaction = await _read_only_transaction(connections)
    except asyncpg.PostgresError as error:
        raise ExportFailed(str(error), _transient(error)) from error
    except (asyncpg.InterfaceError, OSError) as error:
        raise ExportFailed(f"lost the connection to the data source: {error}", True) from error
    committed = False
    try:
        try:
            await connection.execute(STRICTER_STATEMENT_TIMEOUT.format(ms=statement_timeout_ms))
            if parameter_settings:
                await connection.executemany(SET_PARAMETER, parameter_settings)
            statement = await check_single_statement(connection, sql)
            yield CheckedQuery(connection, statement)
        except BaseException:
            await transaction.rollback()
            raise
        await transaction.commit()
        committed = True
    except InvalidReportSql as error:
        raise ExportFailed(str(error)) from error
    except asyncpg.QueryCanceledError as error:
        raise ExportFailed(_cancelled(error, statement_timeout_ms)) from error
    except asyncpg.PostgresError as error:
        raise ExportFailed(str(error), _transient(error)) from error
    except (asyncpg.InterfaceError, OSError) as error:  # e.g. the server closed it mid-COPY
        limit = _limit_behind(error)
        if limit is not None:
            raise limit from None
        # Ending the transaction on a closed connection fails too, hiding the first error.
        cause = error.__context__ if isinstance(error.__context__, asyncpg.PostgresError) else error
        raise ExportFailed(f"lost the connection to the data source: {cause}", True) from error
    finally:
        await connections.release(connection, keep_connection and committed)


async def _read_only_transaction(
    connections: DataSourceConnections,
) -> "tuple[asyncpg.Connection[Any], Transaction]":
    """A kept connection, or a new one when none is kept or the kept one was dropped by the
    server meanwhile (which its BEGIN finds out), in a READ ONLY transaction."""
    kept = await connections.kept()
    if kept is not None:
        transaction = kept.transaction(readonly=True)
        try:
            await transaction.start()
            return kept, transaction
        except Exception as error:
            # A BEGIN on a reset connection fails only when the connection is gone: dropped
            # (an InterfaceError), terminated by the server (57P01, a PostgresError), or with
            # the server's farewell still unread (asyncpg's InternalClientError). Its protocol
            # state is unknown, so it is terminated, not closed politely.
            log.info("a kept data source connection was dropped (%s); connecting anew", error)
            kept.terminate()
        except BaseException:
            kept.terminate()
            raise
    connection = await connections.connect()
    transaction = connection.transaction(readonly=True)
    try:
        await transaction.start()
    except BaseException:
        await connections.release(connection, keep=False)
        raise
    return connection, transaction


def _transient(error: asyncpg.PostgresError) -> bool:
    return is_transient_sqlstate(getattr(error, "sqlstate", None))
