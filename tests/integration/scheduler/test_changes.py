"""Report changes reach a running scheduler within 2 seconds, without a restart."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from services.scheduler.clock import Clock
from tests.integration.scheduler.conftest import (
    MakeReport,
    clock_env,
    scheduled_slots,
    wait_for_slots,
)
from tests.support.services import ServiceProcess, StartService

TAKES_EFFECT_WITHIN = 2.0


async def test_new_report_is_scheduled_within_2_seconds(
    fast_scheduler: ServiceProcess, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    report_id = await make_report("* * * * *")
    assert await wait_for_slots(db, report_id, 1, within=TAKES_EFFECT_WITHIN)


async def test_edited_cron_takes_effect_within_2_seconds(
    fast_scheduler: ServiceProcess, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    report_id = await make_report("0 0 1 1 *")
    await asyncio.sleep(1.0)
    await db.execute("UPDATE reports SET schedule_cron = '* * * * *' WHERE id = $1", report_id)
    assert await wait_for_slots(db, report_id, 1, within=TAKES_EFFECT_WITHIN)


async def test_edited_time_zone_takes_effect_without_restart(
    start_service: StartService, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    epoch = datetime.now(UTC)
    clock = Clock(60, epoch)
    # 05:30 away in Asia/Kolkata; six cron minutes (real seconds) away once the zone is UTC.
    slot = (clock.now() + timedelta(minutes=6)).replace(second=0, microsecond=0)
    report_id = await make_report(f"{slot.minute} {slot.hour} * * *", "Asia/Kolkata")
    scheduler = start_service("scheduler", **clock_env(60, epoch))
    try:
        await asyncio.sleep(0.5)
        await db.execute("UPDATE reports SET timezone = 'UTC' WHERE id = $1", report_id)
        assert await wait_for_slots(db, report_id, 1, within=10.0) == [slot]
    finally:
        scheduler.stop()


async def test_deactivated_report_gets_no_further_runs(
    fast_scheduler: ServiceProcess, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    report_id = await make_report("* * * * *")
    await wait_for_slots(db, report_id, 1, within=TAKES_EFFECT_WITHIN)
    await db.execute("UPDATE reports SET is_active = false WHERE id = $1", report_id)
    await asyncio.sleep(TAKES_EFFECT_WITHIN)
    settled = await scheduled_slots(db, report_id)
    await asyncio.sleep(3.0)  # three more cron minutes on the fast clock
    assert await scheduled_slots(db, report_id) == settled


async def test_deleted_report_gets_no_further_runs(
    fast_scheduler: ServiceProcess, db: asyncpg.Connection, make_report: MakeReport
) -> None:
    report_id = await make_report("* * * * *")
    await wait_for_slots(db, report_id, 1, within=TAKES_EFFECT_WITHIN)
    await db.execute("DELETE FROM reports WHERE id = $1", report_id)
    await asyncio.sleep(TAKES_EFFECT_WITHIN + 3.0)
    assert await scheduled_slots(db, report_id) == []
