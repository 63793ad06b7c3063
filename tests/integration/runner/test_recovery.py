"""Recovery of runs whose runner died, and of queued runs whose request was lost."""

import os
from pathlib import Path

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.runner.recovery import recover_once
from services.runner.settings import RunnerSettings
from tests.support.reports import unique_name
from tests.support.runs import outbox_events, planted_run, running_run

SETTINGS = RunnerSettings(max_attempts=3, rerequest_after_seconds=600)


NAME = "Recovery"


async def test_expired_lease_puts_the_run_back_in_the_queue(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    run = await running_run(
        quiet_db, unique_name(NAME), worker_id="dead:1", attempt=1, lease_seconds=-1
    )
    await recover_once(quiet_sessions, SETTINGS)
    after = await quiet_db.fetchrow("SELECT * FROM report_runs WHERE id = $1", run["id"])
    assert after is not None
    assert (after["status"], after["worker_id"]) == ("QUEUED", None)
    assert await outbox_events(quiet_db, run["id"]) == ["run.requested"]


async def test_expired_lease_on_the_last_attempt_fails_the_run_with_the_reason(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    run = await running_run(
        quiet_db, unique_name(NAME), worker_id="dead:2", attempt=3, lease_seconds=-1
    )
    await recover_once(quiet_sessions, SETTINGS)
    after = await quiet_db.fetchrow("SELECT * FROM report_runs WHERE id = $1", run["id"])
    assert after is not None
    assert after["status"] == "FAILED"
    assert "lease expired" in after["error_message"]
    assert after["finished_at"] is not None
    assert await outbox_events(quiet_db, run["id"]) == ["run.completed"]


async def test_live_lease_is_left_alone(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    run = await running_run(
        quiet_db, unique_name(NAME), worker_id="alive:1", attempt=1, lease_seconds=60
    )
    await recover_once(quiet_sessions, SETTINGS)
    after = await quiet_db.fetchrow(
        "SELECT status, worker_id FROM report_runs WHERE id = $1", run["id"]
    )
    assert after is not None
    assert (after["status"], after["worker_id"]) == ("RUNNING", "alive:1")
    assert await outbox_events(quiet_db, run["id"]) == []


async def test_queued_run_with_a_lost_request_is_requested_again(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    stale = await planted_run(
        quiet_db,
        unique_name(NAME),
        requested_at=await quiet_db.fetchval("SELECT now() - interval '11 minutes'"),
    )
    fresh = await planted_run(quiet_db, unique_name(NAME))
    await recover_once(quiet_sessions, SETTINGS)
    assert await outbox_events(quiet_db, stale["id"]) == ["run.requested"]
    assert await outbox_events(quiet_db, fresh["id"]) == []


async def test_a_recovered_lease_removes_what_the_dead_attempt_left_in_the_output_folder(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection, tmp_path: Path
) -> None:
    run = await running_run(
        quiet_db, unique_name(NAME), worker_id="dead:3", attempt=3, lease_seconds=-1
    )
    partial = tmp_path / f".{run['id']}.ab12cd34.csv.part"
    partial.write_text("id\n1\n")
    # Published by the dead attempt but never recorded: the file and its .publishing link.
    published = tmp_path / "Recovery_20261129_220000.csv"
    published.write_text("id\n1\n2\n")
    (tmp_path / ".publishing").mkdir()
    os.link(published, tmp_path / ".publishing" / f".{run['id']}.ef56ab78.csv")
    other_run_file = tmp_path / ".someone-else.12345678.csv.part"
    other_run_file.write_text("x\n")

    await recover_once(quiet_sessions, SETTINGS.model_copy(update={"output_dir": tmp_path}))

    assert not partial.exists()
    assert not published.exists()
    assert list((tmp_path / ".publishing").iterdir()) == []
    assert other_run_file.exists()
