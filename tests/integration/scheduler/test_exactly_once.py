"""Two or more schedulers on one database: every slot gets exactly one run and one event."""

import asyncio
import itertools
import uuid
from datetime import datetime, timedelta

import asyncpg

from tests.integration.scheduler.conftest import (
    MakeReport,
    clock_env,
    requested_events,
    scheduled_slots,
    wait_for_slots,
)
from tests.support.services import StartService

MINUTE = timedelta(minutes=1)


def assert_every_slot_once(slots: list[datetime], minimum: int) -> None:
    assert len(slots) >= minimum
    assert len(set(slots)) == len(slots)
    assert all(later - earlier == MINUTE for earlier, later in itertools.pairwise(slots))


async def assert_one_event_per_run(db: asyncpg.Connection, report_id: uuid.UUID) -> None:
    runs = await db.fetch("SELECT id::text FROM report_runs WHERE report_id = $1", report_id)
    events = await requested_events(db, report_id)
    assert sorted(events) == sorted(row["id"] for row in runs)


async def test_two_schedulers_fire_each_slot_exactly_once_with_one_leader(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    report_id = await make_report("* * * * *")
    env = clock_env(speed=60)  # one cron minute per real second
    first = start_service("scheduler", **env)
    second = start_service("scheduler", **env)
    try:
        await wait_for_slots(db, report_id, 6, within=15)
        # Checked before stopping: a stopped leader hands over to the standby.
        leaders = [process for process in (first, second) if "leading:" in process.log_text()]
    finally:
        first.stop()
        second.stop()
    assert len(leaders) == 1
    slots = await scheduled_slots(db, report_id)
    assert_every_slot_once(slots, minimum=6)
    await assert_one_event_per_run(db, report_id)


async def test_standby_takes_over_without_gap_when_the_leader_is_killed(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    report_id = await make_report("* * * * *")
    env = clock_env(speed=60)
    first = start_service("scheduler", **env)
    await wait_for_slots(db, report_id, 1, within=10)
    second = start_service("scheduler", **env)
    try:
        await asyncio.sleep(1.5)
        assert "leading:" not in second.log_text()
        first.kill()
        before = len(await scheduled_slots(db, report_id))
        await wait_for_slots(db, report_id, before + 3, within=15)
        assert "leading:" in second.log_text()
    finally:
        first.stop()
        second.stop()
    slots = await scheduled_slots(db, report_id)
    assert_every_slot_once(slots, minimum=before + 3)
    await assert_one_event_per_run(db, report_id)


async def test_racing_schedulers_without_election_still_fire_each_slot_once(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    """The unique (report_id, scheduled_for) key alone: ON CONFLICT DO NOTHING, no duplicate."""
    report_ids = [await make_report("* * * * *") for _ in range(20)]
    env = {**clock_env(speed=60), "SCHEDULER_SIMULATION_WITHOUT_LEADER_ELECTION": "true"}
    racers = [start_service("scheduler", **env) for _ in range(3)]
    try:
        await wait_for_slots(db, report_ids[-1], 5, within=15)
    finally:
        for racer in racers:
            racer.stop()
    assert all("leading:" in racer.log_text() for racer in racers)
    for report_id in report_ids:
        assert_every_slot_once(await scheduled_slots(db, report_id), minimum=4)
        await assert_one_event_per_run(db, report_id)
