"""Leader election: a PostgreSQL advisory lock held on a dedicated connection.

Only the leader schedules; standbys retry the lock. When the leader dies its connection
closes and PostgreSQL releases the lock, so a standby takes over within a retry interval.
"""

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.lifecycle import wait_for_stop

log = logging.getLogger(__name__)

# Advisory locks are per database, so every deployment (and test database) has its own.
LOCK_KEY = 0x7265706F7274  # "report"
CHECK_TIMEOUT_SECONDS = 5.0


class Leadership:
    def __init__(self, engine: AsyncEngine, retry_seconds: float, *, enabled: bool = True) -> None:
        self._engine = engine
        self._retry_seconds = retry_seconds
        self._enabled = enabled
        self._connection: AsyncConnection | None = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Waits until this process leads; False if `stop` was set first."""
        while not stop.is_set():
            if not self._enabled or await self._try_lock():
                return True
            await wait_for_stop(stop, self._retry_seconds)
        return False

    async def _try_lock(self) -> bool:
        try:
            if self._connection is None:
                connection = await self._engine.connect()
                # No transaction stays open on it: the lock is session-level.
                self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            locked = await self._connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            )
        except Exception as error:
            log.warning("could not try the leader lock (%s); retrying", error)
            await self._drop_connection()
            return False
        return bool(locked)

    async def still_held(self) -> bool:
        """False once the lock connection is gone (PostgreSQL released the lock with it)."""
        if not self._enabled:
            return True
        if self._connection is None:
            return False
        try:
            await asyncio.wait_for(
                self._connection.execute(text("SELECT 1")), CHECK_TIMEOUT_SECONDS
            )
        except Exception as error:
            log.warning("lost the leader lock's connection: %s", error)
            await self._drop_connection()
            return False
        return True

    async def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY}
                )
        await self._drop_connection()

    async def _drop_connection(self) -> None:
        """Closes the connection for good (not back to the pool), so no lock can outlive it."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()
