"""After downtime: at most one catch-up run per report, for the latest missed slot, in grace."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.integration.scheduler.conftest import (
    MakeReport,
    clock_env,
    scheduled_slots,
    wait_for_slots,
)
from tests.support.services import ServiceProcess, StartService

MINUTE = timedelta(minutes=1)


def catch_up_lines(process: ServiceProcess, report_id: uuid.UUID) -> list[str]:
    return [
        line
        for line in process.log_text().splitlines()
        if "catch-up run queued" in line and str(report_id) in line
    ]


async def seed_scheduled_run(db: asyncpg.Connection, report_id: uuid.UUID, slot: datetime) -> None:
    await db.execute(
        "INSERT INTO report_runs (id, report_id, trigger, scheduled_for, status) "
        "VALUES ($1, $2, 'SCHEDULE', $3, 'SUCCESS')",
        uuid.uuid4(),
        report_id,
        slot,
    )


async def test_restart_after_missed_slots_queues_one_catch_up_run_for_the_latest(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    report_id = await make_report("* * * * *")
    env = clock_env(speed=60)  # the default 300 s grace is five real seconds here
    first = start_service("scheduler", **env)
    await wait_for_slots(db, report_id, 2, within=5)
    first.stop()
    before = await scheduled_slots(db, report_id)
    await asyncio.sleep(3.0)  # three or more cron minutes pass unscheduled
    second = start_service("scheduler", **env)
    try:
        after = await wait_for_slots(db, report_id, len(before) + 3, within=8)
    finally:
        second.stop()
    assert after[: len(before)] == before
    catch_up, *following = after[len(before) :]
    assert catch_up - before[-1] >= 3 * MINUTE  # the missed slots in between got no run
    assert all(
        later - earlier == MINUTE
        for earlier, later in zip(after[len(before) :], following, strict=False)
    )
    assert len(catch_up_lines(second, report_id)) == 1


async def test_restart_after_many_missed_slots_does_not_burst(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    now = datetime.now(UTC)
    report_id = await make_report("* * * * *", created_at=now - timedelta(hours=2))
    await seed_scheduled_run(db, report_id, now.replace(second=0, microsecond=0) - 60 * MINUTE)
    scheduler = start_service("scheduler")
    try:
        await asyncio.sleep(1.5)
    finally:
        scheduler.stop()
    new_slots = (await scheduled_slots(db, report_id))[1:]
    # One catch-up for the latest missed minute (plus an on-time run if a minute began meanwhile).
    assert 1 <= len(new_slots) <= 2
    assert new_slots[0] >= now.replace(second=0, microsecond=0)
    assert len(catch_up_lines(scheduler, report_id)) == 1


async def test_restart_inside_the_grace_queues_a_catch_up_for_a_daily_slot(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    missed = (datetime.now(UTC) - 2 * MINUTE).replace(second=0, microsecond=0)
    report_id = await make_report(
        f"{missed.minute} {missed.hour} * * *", created_at=missed - timedelta(days=3)
    )
    await seed_scheduled_run(db, report_id, missed - timedelta(days=1))
    scheduler = start_service("scheduler", SCHEDULER_MISFIRE_GRACE_SECONDS="300")
    try:
        slots = await wait_for_slots(db, report_id, 2, within=3)
    finally:
        scheduler.stop()
    assert slots == [missed - timedelta(days=1), missed]
    assert len(catch_up_lines(scheduler, report_id)) == 1


async def test_restart_after_a_miss_older_than_the_grace_skips_it(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    missed = (datetime.now(UTC) - 10 * MINUTE).replace(second=0, microsecond=0)
    report_id = await make_report(
        f"{missed.minute} {missed.hour} * * *", created_at=missed - timedelta(days=3)
    )
    await seed_scheduled_run(db, report_id, missed - timedelta(days=1))
    scheduler = start_service("scheduler", SCHEDULER_MISFIRE_GRACE_SECONDS="300")
    try:
        await asyncio.sleep(1.5)
    finally:
        scheduler.stop()
    assert await scheduled_slots(db, report_id) == [missed - timedelta(days=1)]
    skipped = [
        line
        for line in scheduler.log_text().splitlines()
        if "slot skipped" in line and str(report_id) in line
    ]
    assert len(skipped) == 1
    assert missed.isoformat() in skipped[0]
