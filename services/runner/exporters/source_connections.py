"""The runner's connections to the data source, kept from one run to the next.

Opening one per run costs a new PostgreSQL backend, the start-up and the authentication: most
of a trivial run. A connection is kept only when its run committed and decoded no rows (COPY:
its type codecs are still as connected, see text_output), and only once `DISCARD ALL` has put
the session back as it was connected: settings (`set_config(..., false)`, role, search_path),
advisory locks, temporary tables, LISTENs, prepared statements and cursors. Any other run —
failed, cancelled, timed out, past a limit — closes its connection, as before.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.runner.exporters.request import ExportFailed
from services.runner.retry_policy import is_transient_sqlstate

log = logging.getLogger(__name__)

RESET_SESSION = "DISCARD ALL"
CLOSE_TIMEOUT_SECONDS = 5.0
RESET_TIMEOUT_SECONDS = 5.0
# A connection idle longer is closed rather than reused: the data source or a firewall between
# may have dropped it meanwhile (idle_session_timeout, a restart), without telling us.
MAX_IDLE_SECONDS = 30.0
# What a kept connection that the server dropped meanwhile raises at its first statement.
CONNECTION_LOST = (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError)


@dataclass(frozen=True)
class _Idle:
    connection: "asyncpg.Connection[Any]"
    since: float


class DataSourceConnections:
    """Keeps up to `keep_idle` connections between runs (0: one connection per run)."""

    def __init__(self, dsn: str, keep_idle: int = 0) -> None:
        self._dsn = dsn
        self._keep_idle = keep_idle
        self._idle: list[_Idle] = []

    async def connect(self) -> "asyncpg.Connection[Any]":
        """A new connection; raises ExportFailed (transient when the cause may pass)."""
        try:
            # No statement cache: the cursor engine changes type codecs between two prepares.
            return await asyncpg.connect(
                self._dsn,
                statement_cache_size=0,
                server_settings={"application_name": "reportflow-runner"},
            )
        except OSError as error:
            raise ExportFailed(f"cannot connect to the data source: {error}", True) from error
        except asyncpg.PostgresError as error:
            transient = is_transient_sqlstate(getattr(error, "sqlstate", None))
            raise ExportFailed(f"cannot connect to the data source: {error}", transient) from error

    async def kept(self) -> "asyncpg.Connection[Any] | None":
        """The most recently kept connection still open and not idle too long, if any."""
        now = time.monotonic()
        while self._idle:
            idle = self._idle.pop()
            if not idle.connection.is_closed() and now - idle.since < MAX_IDLE_SECONDS:
                return idle.connection
            await self._close(idle.connection)
        return None

    async def release(self, connection: "asyncpg.Connection[Any]", keep: bool) -> None:
        """Keeps `connection` for a later run once reset, when `keep` and there is room;
        closes it otherwise, or when the reset fails."""
        if keep and len(self._idle) < self._keep_idle and not connection.is_closed():
            try:
                await connection.execute(RESET_SESSION, timeout=RESET_TIMEOUT_SECONDS)
            except (*CONNECTION_LOST, asyncpg.PostgresError, TimeoutError) as error:
                log.warning("could not reset a data source connection; closing it: %s", error)
            except BaseException:
                connection.terminate()  # cancelled mid-reset: its state is unknown
                raise
            else:
                self._idle.append(_Idle(connection, time.monotonic()))
                return
        await self._close(connection)

    async def close(self) -> None:
        """Closes the kept connections (at shutdown)."""
        while self._idle:
            await self._close(self._idle.pop().connection)

    async def _close(self, connection: "asyncpg.Connection[Any]") -> None:
        # A cancelled export: asyncpg has sent PostgreSQL a cancel request for the running
        # query; a close that gets no answer in time drops the connection instead.
        await connection.close(timeout=CLOSE_TIMEOUT_SECONDS)
