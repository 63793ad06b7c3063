"""Waiters are woken by the finish notification, after a killed listening connection too, and
by the slow sweep when no notification comes."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.run_finishes import RunFinishes
from tests.support.api import create_report

# Only a guard against a hang: every wake-up below is expected within about a second.
HANG_GUARD_SECONDS = 30


async def _run(db: asyncpg.Connection, report_id: str, status: str) -> uuid.UUID:
    run_id = await db.fetchval(
        "INSERT INTO report_runs (id, report_id, trigger, status) "
        "VALUES (gen_random_uuid(), $1, 'MANUAL', $2) RETURNING id",
        report_id,
        status,
    )
    return uuid.UUID(str(run_id))


async def _set_status(db: asyncpg.Connection, run_id: uuid.UUID, status: str) -> None:
    await db.execute("UPDATE report_runs SET status = $2 WHERE id = $1", run_id, status)


@pytest.fixture
def finishes(database_url: str, sessions: async_sessionmaker[AsyncSession]) -> RunFinishes:
    return RunFinishes(database_url, sessions)


@pytest.fixture
async def report_id(client: httpx.AsyncClient) -> str:
    return await create_report(client, "SELECT 1 AS one")


@asynccontextmanager
async def _running(
    finishes: RunFinishes,
    *parts: Callable[[RunFinishes, asyncio.Event], Coroutine[Any, Any, None]],
) -> AsyncIterator[None]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(part(finishes, stop)) for part in parts]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def _listening_pid(finishes: RunFinishes, other_than: int | None = None) -> int:
    for _ in range(HANG_GUARD_SECONDS * 10):
        if finishes.listening_pid not in (None, other_than):
            assert finishes.listening_pid is not None
            return finishes.listening_pid
        await asyncio.sleep(0.1)
    raise AssertionError("the listener never connected")


async def test_a_finished_run_wakes_its_waiter_through_the_notification(
    finishes: RunFinishes, report_id: str, db: asyncpg.Connection
) -> None:
    run_id = await _run(db, report_id, "RUNNING")
    async with _running(finishes, RunFinishes.listen):  # no sweep: only NOTIFY can wake it
        await _listening_pid(finishes)
        woken = finishes.expect(run_id)
        await _set_status(db, run_id, "SUCCESS")
        await asyncio.wait_for(woken, HANG_GUARD_SECONDS)


async def test_a_claim_is_no_finish_and_wakes_nobody(
    finishes: RunFinishes, report_id: str, db: asyncpg.Connection
) -> None:
    claimed, finished = await _run(db, report_id, "QUEUED"), await _run(db, report_id, "RUNNING")
    async with _running(finishes, RunFinishes.listen):
        await _listening_pid(finishes)
        woken_by_claim, woken_by_finish = finishes.expect(claimed), finishes.expect(finished)
        await _set_status(db, claimed, "RUNNING")
        await _set_status(db, finished, "FAILED")  # notifications arrive in commit order
        await asyncio.wait_for(woken_by_finish, HANG_GUARD_SECONDS)
    assert not woken_by_claim.done()


async def test_a_killed_listening_connection_is_replaced_and_wakes_waiters_again(
    finishes: RunFinishes, report_id: str, db: asyncpg.Connection
) -> None:
    run_id = await _run(db, report_id, "RUNNING")
    async with _running(finishes, RunFinishes.listen):
        killed = await _listening_pid(finishes)
        assert await db.fetchval("SELECT pg_terminate_backend($1)", killed)
        await _listening_pid(finishes, other_than=killed)
        woken = finishes.expect(run_id)
        await _set_status(db, run_id, "SUCCESS")
        await asyncio.wait_for(woken, HANG_GUARD_SECONDS)


async def test_the_sweep_wakes_a_waiter_whose_notification_never_came(
    finishes: RunFinishes, report_id: str, db: asyncpg.Connection
) -> None:
    finished, deleted, running = [await _run(db, report_id, "RUNNING") for _ in range(3)]
    async with _running(finishes, RunFinishes.sweep):  # nobody listens
        woken = [finishes.expect(run_id) for run_id in (finished, deleted, running)]
        await _set_status(db, finished, "SUCCESS")
        await db.execute("DELETE FROM report_runs WHERE id = $1", deleted)
        await asyncio.wait_for(asyncio.gather(woken[0], woken[1]), HANG_GUARD_SECONDS)
    assert not woken[2].done()
