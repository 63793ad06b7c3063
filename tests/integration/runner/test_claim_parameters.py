"""A claim resolves the run's parameter values from the report as it is then, and records them
in the claim's transaction: a scheduled slot's dates whenever it runs, a refusal when the
report changed so the requested values no longer fit."""

import json
import uuid
from datetime import UTC, datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.runner import claims
from services.runner.claim_records import ClaimedRun
from tests.support.reports import unique_name

DECLARED = [{"name": "n", "type": "integer", "default": 3}]


async def _queued_run(
    db: asyncpg.Connection,
    sql: str,
    scheduled_for: datetime | None,
    requested: dict[str, object] | None = None,
) -> uuid.UUID:
    report_id = await db.fetchval(
        "INSERT INTO reports (id, name, sql_query, parameters, timezone) "
        "VALUES (gen_random_uuid(), $1, $2, $3::jsonb, 'Europe/Berlin') RETURNING id",
        unique_name("Parameters"),
        sql,
        json.dumps(DECLARED),
    )
    run_id: uuid.UUID = await db.fetchval(
        "INSERT INTO report_runs (id, report_id, trigger, scheduled_for, requested_parameters) "
        "VALUES (gen_random_uuid(), $1, $2, $3, $4::jsonb) RETURNING id",
        report_id,
        "MANUAL" if scheduled_for is None else "SCHEDULE",
        scheduled_for,
        None if requested is None else json.dumps(requested),
    )
    return run_id


async def test_old_slot_claimed_today_uses_its_own_dates(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    slot = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # Monday 08:00 in Berlin, summer time
    run_id = await _queued_run(
        quiet_db, "SELECT {{ n }} AS n, {{ last_week_start }} AS a, {{ last_week_end }} AS b", slot
    )
    async with quiet_sessions.begin() as session:
        claimed = await claims.claim_run(session, run_id, "host:1", 60)
    assert isinstance(claimed, ClaimedRun)
    assert claimed.refusal is None
    assert claimed.parameter_settings == (
        ("reportflow.param.n", "3"),
        ("reportflow.param.last_week_end", "2026-03-29"),
        ("reportflow.param.last_week_start", "2026-03-23"),
    )
    assert "{{" not in claimed.sql_query
    recorded = await quiet_db.fetchval("SELECT parameters FROM report_runs WHERE id = $1", run_id)
    assert json.loads(recorded) == {
        "n": 3,
        "last_week_end": "2026-03-29",
        "last_week_start": "2026-03-23",
    }


async def test_requested_value_the_report_no_longer_takes_refuses_the_run(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    run_id = await _queued_run(quiet_db, "SELECT {{ n }} AS n", None, {"gone": 1})
    async with quiet_sessions.begin() as session:
        claimed = await claims.claim_run(session, run_id, "host:1", 60)
    assert isinstance(claimed, ClaimedRun)
    assert claimed.refusal is not None
    assert "unknown parameter 'gone'" in claimed.refusal
    recorded = await quiet_db.fetchval("SELECT parameters FROM report_runs WHERE id = $1", run_id)
    assert recorded is None
