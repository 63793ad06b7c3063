"""Recovery of runs whose runner died, and of queued runs whose request was lost."""

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.runner.recovery import recover_once
from services.runner.settings import RunnerSettings
from tests.support.reports import unique_name

SETTINGS = RunnerSettings(max_attempts=3, rerequest_after_seconds=600)


async def _run_row(db: asyncpg.Connection, **columns: object) -> asyncpg.Record:
    report_id = await db.fetchval(
        "INSERT INTO reports (id, name, sql_query) VALUES (gen_random_uuid(), $1, 'SELECT 1') "
        "RETURNING id",
        unique_name("Recovery"),
    )
    names = "".join(f", {name}" for name in columns)
    placeholders = "".join(f", ${index}" for index in range(2, len(columns) + 2))
    run = await db.fetchrow(
        f"INSERT INTO report_runs (id, report_id, trigger{names}) "
        f"VALUES (gen_random_uuid(), $1, 'MANUAL'{placeholders}) RETURNING *",
        report_id,
        *columns.values(),
    )
    assert run is not None
    return run


async def _events_for(db: asyncpg.Connection, run_id: object) -> list[str]:
    rows = await db.fetch(
        "SELECT routing_key FROM outbox WHERE payload->>'run_id' = $1 ORDER BY id", str(run_id)
    )
    return [row["routing_key"] for row in rows]


async def test_expired_lease_puts_the_run_back_in_the_queue(
    sessions: async_sessionmaker[AsyncSession], db: asyncpg.Connection
) -> None:
    """Runner processes of other tests may share this database and recover the run first (and
    then run it): what must hold is that the dead runner lost it and it was requested again."""
    run = await _run_row(
        db,
        status="RUNNING",
        attempt=1,
        worker_id="dead:1",
        lease_expires_at=await db.fetchval("SELECT now() - interval '1 second'"),
    )
    await recover_once(sessions, SETTINGS)
    after = await db.fetchrow("SELECT * FROM report_runs WHERE id = $1", run["id"])
    assert after is not None
    assert after["worker_id"] != "dead:1"
    assert after["status"] in {"QUEUED", "RUNNING", "SUCCESS"}
    assert await _events_for(db, run["id"]) == ["run.requested"] + (
        ["run.completed"] if after["status"] == "SUCCESS" else []
    )


async def test_expired_lease_on_the_last_attempt_fails_the_run_with_the_reason(
    sessions: async_sessionmaker[AsyncSession], db: asyncpg.Connection
) -> None:
    run = await _run_row(
        db,
        status="RUNNING",
        attempt=3,
        worker_id="dead:2",
        lease_expires_at=await db.fetchval("SELECT now() - interval '1 second'"),
    )
    await recover_once(sessions, SETTINGS)
    after = await db.fetchrow("SELECT * FROM report_runs WHERE id = $1", run["id"])
    assert after is not None
    assert after["status"] == "FAILED"
    assert "lease expired" in after["error_message"]
    assert after["finished_at"] is not None
    assert await _events_for(db, run["id"]) == ["run.completed"]


async def test_live_lease_is_left_alone(
    sessions: async_sessionmaker[AsyncSession], db: asyncpg.Connection
) -> None:
    run = await _run_row(
        db,
        status="RUNNING",
        attempt=1,
        worker_id="alive:1",
        lease_expires_at=await db.fetchval("SELECT now() + interval '1 minute'"),
    )
    await recover_once(sessions, SETTINGS)
    after = await db.fetchrow("SELECT status, worker_id FROM report_runs WHERE id = $1", run["id"])
    assert after is not None
    assert (after["status"], after["worker_id"]) == ("RUNNING", "alive:1")
    assert await _events_for(db, run["id"]) == []


async def test_queued_run_with_a_lost_request_is_requested_again(
    sessions: async_sessionmaker[AsyncSession], db: asyncpg.Connection
) -> None:
    stale = await _run_row(
        db, requested_at=await db.fetchval("SELECT now() - interval '11 minutes'")
    )
    fresh = await _run_row(db)
    await recover_once(sessions, SETTINGS)
    # A live runner of another test may already have run it (adding its run.completed).
    assert (await _events_for(db, stale["id"]))[:1] == ["run.requested"]
    assert await _events_for(db, fresh["id"]) == []
