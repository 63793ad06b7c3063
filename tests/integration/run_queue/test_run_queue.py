"""Queueing runs: a QUEUED row and one run.requested per new run, in the caller's transaction.

Each test works in one transaction that it rolls back, so no runner or relay of the session's
services ever sees its rows.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.models import OutboxMessage, Report, ReportRun, RunStatus, RunTrigger
from shared.run_queue import queue_run, queue_runs, request_runs
from tests.support.reports import unique_name

SLOT = datetime(2024, 1, 15, 9, tzinfo=UTC)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session
        await session.rollback()


async def add_report(session: AsyncSession, *, is_active: bool = True) -> uuid.UUID:
    report = Report(name=unique_name("Queue"), sql_query="SELECT 1", is_active=is_active)
    session.add(report)
    await session.flush()
    return report.id


async def requested(session: AsyncSession, run_ids: list[uuid.UUID]) -> list[dict[str, object]]:
    """The payloads of the run.requested events written for these runs."""
    payloads = await session.scalars(
        select(OutboxMessage.payload).where(
            OutboxMessage.routing_key == "run.requested",
            OutboxMessage.payload["run_id"].astext.in_([str(run_id) for run_id in run_ids]),
        )
    )
    return list(payloads)


async def test_a_batch_of_slots_becomes_queued_runs_each_with_one_request(
    session: AsyncSession,
) -> None:
    first, second = await add_report(session), await add_report(session)
    slots = [(first, SLOT), (first, SLOT + timedelta(hours=1)), (second, SLOT)]

    queued = await queue_runs(session, RunTrigger.SCHEDULE, slots)

    assert sorted((run.report_id, run.scheduled_for) for run in queued.runs) == sorted(slots)
    run_ids = [run.run_id for run in queued.runs]
    rows = (await session.scalars(select(ReportRun).where(ReportRun.id.in_(run_ids)))).all()
    assert {(row.status, row.trigger) for row in rows} == {(RunStatus.QUEUED, RunTrigger.SCHEDULE)}
    payloads = await requested(session, run_ids)
    assert sorted((p["run_id"], p["report_id"], p["schema_version"]) for p in payloads) == sorted(
        (str(run.run_id), str(run.report_id), 2) for run in queued.runs
    )
    assert len(queued.events) == 3
    assert {row.message.routing_key for row in queued.events} == {"run.requested"}


async def test_a_slot_queued_already_gets_no_second_run_or_request(session: AsyncSession) -> None:
    report_id = await add_report(session)
    first = await queue_runs(session, RunTrigger.SCHEDULE, [(report_id, SLOT)])

    again = await queue_runs(session, RunTrigger.SCHEDULE, [(report_id, SLOT)])

    assert (len(first.runs), again.runs, again.events) == (1, [], [])
    assert len(await requested(session, [first.runs[0].run_id])) == 1


async def test_reports_missing_or_not_eligible_get_no_run(session: AsyncSession) -> None:
    active, inactive = await add_report(session), await add_report(session, is_active=False)
    slots = [(active, SLOT), (inactive, SLOT), (uuid.uuid4(), SLOT)]

    queued = await queue_runs(
        session, RunTrigger.SCHEDULE, slots, eligible=Report.is_active.is_(True)
    )

    assert [run.report_id for run in queued.runs] == [active]
    assert len(queued.events) == 1


async def test_one_manual_run_is_queued_with_its_request(session: AsyncSession) -> None:
    report_id = await add_report(session, is_active=False)  # a manual run needs no schedule

    run = await queue_run(session, report_id)

    assert run is not None
    assert (run.report_id, run.trigger, run.status) == (
        report_id,
        RunTrigger.MANUAL,
        RunStatus.QUEUED,
    )
    assert (run.scheduled_for, run.attempt, run.started_at) == (None, 0, None)
    assert [p["report_id"] for p in await requested(session, [run.id])] == [str(report_id)]
    second = await queue_run(session, report_id)
    assert second is not None
    assert second.id != run.id


async def test_a_manual_run_of_a_missing_report_is_not_queued(session: AsyncSession) -> None:
    assert await queue_run(session, uuid.uuid4()) is None


async def test_runs_put_back_in_the_queue_are_requested_again(session: AsyncSession) -> None:
    run = await queue_run(session, await add_report(session))
    assert run is not None

    rows = await request_runs(session, [(run.id, run.report_id)])

    assert [row.message.routing_key for row in rows] == ["run.requested"]
    assert len(await requested(session, [run.id])) == 2
