"""Every change after a claim is fenced on that claim: run, worker and attempt."""

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.runner import claims
from services.runner.claim_records import Claim, FinishResult, Renewal, RunOutcome
from shared.models import RunStatus
from tests.support.reports import unique_name
from tests.support.runs import running_run

SUCCESS = RunOutcome(RunStatus.SUCCESS, row_count=1, byte_size=2, output_path="outputs/x.csv")


async def _running_run(quiet_db: asyncpg.Connection, worker_id: str, attempt: int) -> Claim:
    run = await running_run(
        quiet_db, unique_name("Claims"), worker_id=worker_id, attempt=attempt, lease_seconds=60
    )
    return Claim(run["id"], worker_id, attempt)


async def test_finishing_twice_with_the_same_claim_is_recognised_as_already_recorded(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    """A commit whose answer was lost is retried; the retry must not take it for a takeover."""
    claim = await _running_run(quiet_db, "host:1", 1)
    async with quiet_sessions.begin() as session:
        assert await claims.finish_run(session, claim, SUCCESS) == FinishResult.RECORDED
    async with quiet_sessions.begin() as session:
        assert await claims.finish_run(session, claim, SUCCESS) == FinishResult.ALREADY_RECORDED
    events = await quiet_db.fetchval(
        "SELECT count(*) FROM outbox WHERE routing_key = 'run.completed' "
        "AND payload->>'run_id' = $1",
        str(claim.run_id),
    )
    assert events == 1


async def test_an_earlier_claim_by_the_same_worker_cannot_finish_or_renew(
    quiet_sessions: async_sessionmaker[AsyncSession], quiet_db: asyncpg.Connection
) -> None:
    """Same process, run claimed again after its lease expired: only attempt 2 is current."""
    current = await _running_run(quiet_db, "host:1", 2)
    stale = Claim(current.run_id, current.worker_id, 1)
    async with quiet_sessions.begin() as session:
        assert await claims.renew_lease(session, stale, 60) == Renewal.LOST
        assert await claims.finish_run(session, stale, SUCCESS) == FinishResult.TAKEN_OVER
        await claims.hand_back(session, stale)
    async with quiet_sessions.begin() as session:
        assert await claims.renew_lease(session, current, 60) == Renewal.CURRENT
    status = await quiet_db.fetchval("SELECT status FROM report_runs WHERE id = $1", current.run_id)
    assert status == "RUNNING"
    handed_back = await quiet_db.fetchval(
        "SELECT count(*) FROM outbox WHERE routing_key = 'run.requested' "
        "AND payload->>'run_id' = $1",
        str(current.run_id),
    )
    assert handed_back == 0
