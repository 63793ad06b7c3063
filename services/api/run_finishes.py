"""Wakes the API's `?wait` requests when their run finished: LISTEN on the system of record,
plus a slow sweep, so a lost notification delays a waiter but never strands it."""

import asyncio
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.models import FINISHED_STATUSES, ReportRun
from shared.settings import asyncpg_dsn

log = logging.getLogger(__name__)

# Sent by the trigger of migration 0014 when a run leaves QUEUED/RUNNING; payload: its id.
RUN_FINISHED_CHANNEL = "reportflow_run_finished"
# How the listening connection is named in pg_stat_activity.
LISTENER_APPLICATION_NAME = "reportflow-api-run-finishes"
# The fallback: how late a waiter can be woken when its notification was lost.
SWEEP_SECONDS = 2.0
RECONNECT_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 2.0
# A listening connection that died without a word is found by a ping this often.
PING_SECONDS = 10.0


class RunFinishes:
    """One listening connection per API process; each waiter holds a future keyed by run id."""

    def __init__(self, database_url: str, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._sessions = sessions
        self._waiters: dict[uuid.UUID, set[asyncio.Future[None]]] = {}
        # The listening connection's backend, None while there is none.
        self.listening_pid: int | None = None

    def expect(self, run_id: uuid.UUID) -> asyncio.Future[None]:
        """A future completed when `run_id` may have finished; take it before reading the run,
        so a finish committed between the read and the wait still wakes it."""
        woken = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(run_id, set()).add(woken)
        return woken

    def forget(self, run_id: uuid.UUID, woken: asyncio.Future[None]) -> None:
        waiting = self._waiters.get(run_id)
        if waiting is not None:
            waiting.discard(woken)
            if not waiting:
                del self._waiters[run_id]

    def _wake(self, run_ids: Iterable[uuid.UUID]) -> None:
        for run_id in run_ids:
            for woken in self._waiters.pop(run_id, ()):
                if not woken.done():
                    woken.set_result(None)

    def _notified(
        self,
        _connection: "asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any]",
        _pid: int,
        _channel: str,
        payload: object,
    ) -> None:
        try:
            run_id = uuid.UUID(str(payload))
        except ValueError:
            log.warning("ignoring a %s notification with payload %r", RUN_FINISHED_CHANNEL, payload)
            return
        self._wake((run_id,))

    async def listen(self, stop: asyncio.Event) -> None:
        """Until `stop`: LISTEN, reconnecting whenever the connection is lost."""
        while not stop.is_set():
            try:
                await self._listen_once(stop)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("run-finish listener lost (%s); reconnecting", error)
            await _sleep_unless(stop, RECONNECT_SECONDS)

    async def _listen_once(self, stop: asyncio.Event) -> None:
        connection = await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": LISTENER_APPLICATION_NAME},
        )
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            await connection.add_listener(RUN_FINISHED_CHANNEL, self._notified)
            # Whatever finished while nobody listened: every waiter reads its run again.
            self.listening_pid = connection.get_server_pid()
            self._wake(list(self._waiters))
            while not (stop.is_set() or lost.is_set() or connection.is_closed()):
                await _first_of(stop, lost, seconds=PING_SECONDS)
                if not (stop.is_set() or lost.is_set() or connection.is_closed()):
                    await connection.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)
        finally:
            self.listening_pid = None
            connection.terminate()

    async def sweep(self, stop: asyncio.Event) -> None:
        """Until `stop`: every SWEEP_SECONDS, one query for all waited runs; wakes those that
        finished or were deleted."""
        while not stop.is_set():
            await _sleep_unless(stop, SWEEP_SECONDS)
            run_ids = list(self._waiters)
            if not run_ids:
                continue
            try:
                async with self._sessions.begin() as session:
                    unfinished = set(
                        await session.scalars(
                            select(ReportRun.id).where(
                                ReportRun.id.in_(run_ids),
                                ReportRun.status.not_in(FINISHED_STATUSES),
                            )
                        )
                    )
            except Exception:
                log.exception("could not sweep the waited runs; retrying")
                continue
            self._wake(run_id for run_id in run_ids if run_id not in unfinished)


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    await _first_of(stop, seconds=seconds)
