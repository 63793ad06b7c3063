"""Scenario 4: two scheduler processes on a fast clock over a busy every-minute timetable; the
leader is SIGKILLed at random moments, again and again, and restarted as the standby. Every
slot of the timetable gets exactly one run (none doubled, none missed) and the standby takes
over within one cron minute of the clock, so no slot is ever coalesced into a catch-up.

`make test` has 5 reports and kills 3 times; `bench/faults.py` 20 reports and 10 kills.
"""

import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.scheduler.clock import Clock
from tests.integration.scheduler.conftest import clock_env
from tests.support.fault_figures import OUTBOX_GRACE, Figures, record_figures, short_or_long
from tests.support.invariants import assert_invariants
from tests.support.reports import unique_name
from tests.support.runs import wait_until_all_finished
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY, ServiceProcess

REPORTS = short_or_long(5, 20)
KILLS = short_or_long(3, 10)
SPEED = 30.0  # one cron minute every 2 real seconds
CRON_MINUTE_SECONDS = 60 / SPEED
LEADER_RETRY_SECONDS = "0.2"
MINUTE = timedelta(minutes=1)


async def _every_minute_reports(db: asyncpg.Connection) -> list[uuid.UUID]:
    return [
        await db.fetchval(
            "INSERT INTO reports (id, name, sql_query, schedule_cron) "
            "VALUES (gen_random_uuid(), $1, 'SELECT 1 AS one', '* * * * *') RETURNING id",
            unique_name("Every minute"),
        )
        for _ in range(REPORTS)
    ]


async def _seconds_until_leading(standby: ServiceProcess, within: float = 15.0) -> float:
    started = time.monotonic()
    while "leading:" not in standby.log_text():
        if time.monotonic() - started > within:
            raise AssertionError(f"the standby never took over:\n{standby.log_text()}")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def _minutes_between(after: datetime, before: datetime) -> list[datetime]:
    """Every whole minute m with after < m < before."""
    minute = after.replace(second=0, microsecond=0) + MINUTE
    slots = []
    while minute < before:
        slots.append(minute)
        minute += MINUTE
    return slots


async def test_killing_the_leading_scheduler_again_and_again_neither_doubles_nor_misses_a_slot(
    scenario: Scenario,
) -> None:
    db = scenario.db
    epoch = datetime.now(UTC)
    clock = Clock(SPEED, epoch)
    env = {**clock_env(SPEED, epoch), "SCHEDULER_LEADER_RETRY_SECONDS": LEADER_RETRY_SECONDS}
    report_ids = await _every_minute_reports(db)
    scenario.start("runner", RUNNER_CONCURRENCY="8", **FAST_RECOVERY)
    leader = scenario.start("scheduler", **env)
    await _seconds_until_leading(leader)
    # The first leader may coalesce the slots since the reports were made; the timetable is
    # checked from the next minute on.
    timetable_from = clock.now()
    standby = scenario.start("scheduler", **env)
    seed = random.randrange(1 << 32)
    pick = random.Random(seed)
    takeovers = []
    for _ in range(KILLS):
        await asyncio.sleep(pick.uniform(0.5, short_or_long(1.5, 3.0) * CRON_MINUTE_SECONDS))
        assert "leading:" not in standby.log_text()
        leader.kill()
        takeovers.append(await _seconds_until_leading(standby))
        leader, standby = standby, scenario.start("scheduler", **env)
    await asyncio.sleep(2 * CRON_MINUTE_SECONDS)
    timetable_until = clock.now() - MINUTE  # the slot due now may be firing as we look
    for process in (leader, standby):
        await asyncio.to_thread(process.stop)

    run_ids = [
        row["id"]
        for row in await db.fetch(
            "SELECT id FROM report_runs WHERE report_id = ANY($1::uuid[])", report_ids
        )
    ]
    await wait_until_all_finished(db, run_ids, within=short_or_long(60, 180))
    expected = [
        (report_id, slot)
        for report_id in report_ids
        for slot in _minutes_between(timetable_from, timetable_until)
    ]
    verdict = await assert_invariants(
        db, report_ids, scenario.output_dir, expected_slots=expected, outbox_grace=OUTBOX_GRACE
    )
    logs = "".join(process.log_text() for process in scenario.processes)
    assert "slot skipped" not in logs
    # A takeover within one cron minute is what keeps a slot from being coalesced away.
    assert max(takeovers) < CRON_MINUTE_SECONDS, (seed, takeovers)
    record_figures(
        Figures(
            f"4. leading scheduler SIGKILLed x{KILLS}, {REPORTS} every-minute reports, "
            f"clock x{SPEED:.0f}",
            requested=len(expected),
            completed=len(expected) - verdict.lost,
            duplicates=verdict.duplicates,
            lost=verdict.lost,
            recovery_seconds=max(takeovers),
            notes=(
                f"{len(run_ids)} runs in all; takeover {min(takeovers):.2f}-"
                f"{max(takeovers):.2f} s (seed {seed})"
            ),
        )
    )
