"""The runner's state changes for run control: attempts listed, cancels honoured by recovery,
retries held back until due, and the overlap rule decided at the claim."""

import json
import uuid
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.runner import claims
from services.runner.claim_records import ClaimedRun, NotClaimed
from services.runner.recovery import recover_once
from services.runner.settings import RunnerSettings
from tests.support.reports import unique_name
from tests.support.runs import outbox_events, running_run

SETTINGS = RunnerSettings(max_attempts=3, rerequest_after_seconds=600)


async def _report(quiet_db: asyncpg.Connection, overlap: str = "skip") -> uuid.UUID:
    report_id: uuid.UUID = await quiet_db.fetchval(
        "INSERT INTO reports (id, name, sql_query, overlap) "
        "VALUES (gen_random_uuid(), $1, 'SELECT 1', $2) RETURNING id",
        unique_name("Run control"),
        overlap,
    )
    return report_id


async def _run(
    quiet_db: asyncpg.Connection, report_id: uuid.UUID, trigger: str = "MANUAL", **columns: object
) -> uuid.UUID:
    scheduled_for = datetime.now(UTC) if trigger == "SCHEDULE" else None
    names = "".join(f", {name}" for name in columns)
    placeholders = "".join(f", ${index}" for index in range(4, len(columns) + 4))
    run_id: uuid.UUID = await quiet_db.fetchval(
        f"INSERT INTO report_runs (id, report_id, trigger, scheduled_for{names}) "
        f"VALUES (gen_random_uuid(), $1, $2, $3{placeholders}) RETURNING id",
        report_id,
        trigger,
        scheduled_for,
        *columns.values(),
    )
    return run_id


async def _expired_run(quiet_db: asyncpg.Connection, attempt: int, **columns: object) -> uuid.UUID:
    """A RUNNING run whose runner died: its lease ended a second ago."""
    name = unique_name("Run control")
    run = await running_run(
        quiet_db, name, worker_id="dead:1", attempt=attempt, lease_seconds=-1, **columns
    )
    run_id: uuid.UUID = run["id"]
    return run_id


async def _claim(
    sessions: async_sessionmaker[AsyncSession], run_id: uuid.UUID
) -> ClaimedRun | NotClaimed:
    async with sessions.begin() as session:
        return await claims.claim_run(session, run_id, "host:1", 60, overlap_wait_seconds=30)


async def _row(quiet_db: asyncpg.Connection, run_id: uuid.UUID) -> asyncpg.Record:
    row = await quiet_db.fetchrow("SELECT * FROM report_runs WHERE id = $1", run_id)
    assert row is not None
    return row


async def _slot_while_running(
    sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection, overlap: str
) -> tuple[uuid.UUID, uuid.UUID, ClaimedRun | NotClaimed]:
    """(the RUNNING run, a scheduled slot of the same report, what claiming the slot did)."""
    report_id = await _report(quiet_db, overlap)
    running = await _run(quiet_db, report_id)
    assert isinstance(await _claim(sessions, running), ClaimedRun)
    slot = await _run(quiet_db, report_id, "SCHEDULE")
    return running, slot, await _claim(sessions, slot)


async def test_a_recovered_lease_is_listed_as_an_attempt_with_its_error(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    run_id = await _run(quiet_db, await _report(quiet_db))
    assert isinstance(await _claim(quiet_sessions, run_id), ClaimedRun)
    await quiet_db.execute(
        "UPDATE report_runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1",
        run_id,
    )
    await recover_once(quiet_sessions, SETTINGS)
    after = await _row(quiet_db, run_id)
    attempts = json.loads(after["attempts"])
    assert after["status"] == "QUEUED"
    assert [attempt["number"] for attempt in attempts] == [1]
    assert "lease expired" in attempts[0]["error"]
    assert attempts[0]["finished_at"] is not None


async def test_a_cancelled_run_whose_runner_died_ends_cancelled(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    run_id = await _expired_run(
        quiet_db, attempt=1, cancel_requested_at=await quiet_db.fetchval("SELECT now()")
    )
    await recover_once(quiet_sessions, SETTINGS)
    assert (await _row(quiet_db, run_id))["status"] == "CANCELLED"
    assert await outbox_events(quiet_db, run_id) == ["run.completed"]


async def test_retries_do_not_use_up_the_lease_recoveries(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    """Attempt 3 after two retries is the first lease to expire: queued again, not FAILED."""
    run_id = await _expired_run(quiet_db, attempt=3, retries=2)
    await recover_once(quiet_sessions, SETTINGS)
    assert (await _row(quiet_db, run_id))["status"] == "QUEUED"


async def test_a_held_back_run_is_claimed_only_once_due_and_then_requested_again(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    report_id = await _report(quiet_db)
    later = await _run(
        quiet_db, report_id, not_before=await quiet_db.fetchval("SELECT now() + interval '1 h'")
    )
    due = await _run(
        quiet_db, report_id, not_before=await quiet_db.fetchval("SELECT now() - interval '1 s'")
    )
    assert await _claim(quiet_sessions, later) == NotClaimed.NOT_DUE
    await recover_once(quiet_sessions, SETTINGS)
    assert await outbox_events(quiet_db, later) == []
    assert await outbox_events(quiet_db, due) == ["run.requested"]
    assert (await _row(quiet_db, due))["not_before"] is None
    assert isinstance(await _claim(quiet_sessions, due), ClaimedRun)


async def test_overlap_skip_records_the_scheduled_run_skipped_with_the_reason(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    running, slot, claimed = await _slot_while_running(quiet_sessions, quiet_db, "skip")
    assert claimed == NotClaimed.SKIPPED
    skipped = await _row(quiet_db, slot)
    assert skipped["status"] == "SKIPPED"
    assert str(running) in skipped["error_message"]
    assert skipped["finished_at"] is not None
    assert await outbox_events(quiet_db, slot) == ["run.completed"]


async def test_overlap_queue_holds_the_scheduled_run_back_while_the_previous_one_runs(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    running, slot, claimed = await _slot_while_running(quiet_sessions, quiet_db, "queue")
    assert claimed == NotClaimed.WAITING
    waiting = await _row(quiet_db, slot)
    assert waiting["status"] == "QUEUED"
    assert waiting["not_before"] is not None
    await quiet_db.execute("UPDATE report_runs SET status = 'SUCCESS' WHERE id = $1", running)
    await quiet_db.execute("UPDATE report_runs SET not_before = now() WHERE id = $1", slot)
    assert isinstance(await _claim(quiet_sessions, slot), ClaimedRun)


async def test_manual_runs_and_overlap_allow_run_alongside_a_running_run(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    skipping = await _report(quiet_db, "skip")
    allowing = await _report(quiet_db, "allow")
    for report_id in (skipping, allowing):
        assert isinstance(await _claim(quiet_sessions, await _run(quiet_db, report_id)), ClaimedRun)
    manual = await _run(quiet_db, skipping)
    scheduled = await _run(quiet_db, allowing, "SCHEDULE")
    assert isinstance(await _claim(quiet_sessions, manual), ClaimedRun)
    assert isinstance(await _claim(quiet_sessions, scheduled), ClaimedRun)


async def _claimed_run(
    sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> ClaimedRun:
    claimed = await _claim(sessions, await _run(quiet_db, await _report(quiet_db)))
    assert isinstance(claimed, ClaimedRun)
    return claimed


async def _ask_cancel(quiet_db: asyncpg.Connection, run_id: uuid.UUID) -> None:
    """What POST /api/runs/{id}/cancel writes for a RUNNING run."""
    await quiet_db.execute(
        "UPDATE report_runs SET cancel_requested_at = now() WHERE id = $1", run_id
    )


async def test_a_run_handed_back_after_a_cancel_request_ends_cancelled(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    claimed = await _claimed_run(quiet_sessions, quiet_db)
    run_id = claimed.run_id
    await _ask_cancel(quiet_db, run_id)
    async with quiet_sessions.begin() as session:
        await claims.hand_back(session, claimed.claim)
    assert (await _row(quiet_db, run_id))["status"] == "CANCELLED"
    assert await outbox_events(quiet_db, run_id) == ["run.completed"]


async def test_a_transient_failure_is_not_retried_once_a_cancel_was_asked(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    claimed = await _claimed_run(quiet_sessions, quiet_db)
    run_id = claimed.run_id
    async with quiet_sessions.begin() as session:
        assert await claims.retry_later(session, claimed.claim, "deadlock detected", 60)
    retried = await _row(quiet_db, run_id)
    assert (retried["status"], retried["retries"]) == ("QUEUED", 1)
    assert json.loads(retried["attempts"])[0]["error"] == "deadlock detected"

    await quiet_db.execute("UPDATE report_runs SET not_before = now() WHERE id = $1", run_id)
    again = await _claim(quiet_sessions, run_id)
    assert isinstance(again, ClaimedRun)
    assert again.retries == 1
    await _ask_cancel(quiet_db, run_id)
    async with quiet_sessions.begin() as session:
        assert not await claims.retry_later(session, again.claim, "deadlock detected", 60)
    assert (await _row(quiet_db, run_id))["status"] == "RUNNING"
