"""RunQueue writes the run and its event in the caller's transaction and wakes the relay only
once that transaction commits."""

import uuid

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.run_queue import RunQueue
from shared.models import Report
from tests.support.reports import unique_name


class WakeCounter:
    """Stands in for the outbox relay: counts how often it was woken."""

    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


async def _report_id(db: asyncpg.Connection) -> uuid.UUID:
    report_id = await db.fetchval(
        "INSERT INTO reports (id, name, sql_query) VALUES (gen_random_uuid(), $1, 'SELECT 1') "
        "RETURNING id",
        unique_name(),
    )
    return uuid.UUID(str(report_id))


async def test_queued_runs_and_their_events_are_written_and_the_relay_woken_once_on_commit(
    sessions: async_sessionmaker[AsyncSession], db: asyncpg.Connection
) -> None:
    report_id = await _report_id(db)
    relay = WakeCounter()
    async with sessions() as session:
        report = await session.get_one(Report, report_id)
        run_queue = RunQueue(session, relay)
        runs = [await run_queue.queue_manual_run(report) for _ in range(2)]
        assert relay.wakes == 0  # the relay could not see the events yet
        await session.commit()
    assert relay.wakes == 1
    stored = await db.fetch(
        "SELECT status, trigger FROM report_runs WHERE id = ANY($1::uuid[])",
        [run.id for run in runs],
    )
    assert [(row["status"], row["trigger"]) for row in stored] == [("QUEUED", "MANUAL")] * 2
    events = await db.fetch(
        "SELECT routing_key, payload->>'run_id' AS run_id FROM outbox "
        "WHERE payload->>'report_id' = $1",
        str(report_id),
    )
    assert sorted((row["routing_key"], row["run_id"]) for row in events) == sorted(
        ("run.requested", str(run.id)) for run in runs
    )


async def test_a_rolled_back_request_leaves_no_run_no_event_and_wakes_nobody(
    sessions: async_sessionmaker[AsyncSession], db: asyncpg.Connection
) -> None:
    report_id = await _report_id(db)
    relay = WakeCounter()
    async with sessions() as session:
        report = await session.get_one(Report, report_id)
        await RunQueue(session, relay).queue_manual_run(report)
        await session.rollback()
    assert relay.wakes == 0
    assert (
        await db.fetchval("SELECT count(*) FROM report_runs WHERE report_id = $1", report_id) == 0
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM outbox WHERE payload->>'report_id' = $1", str(report_id)
        )
        == 0
    )
