"""Scheduler test helpers: reports made and removed per test, their runs and run.requested rows."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime

import asyncpg
import pytest

from tests.support.reports import unique_name
from tests.support.services import ServiceProcess, StartService

MakeReport = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture
async def make_report(db: asyncpg.Connection) -> AsyncIterator[MakeReport]:
    """Inserts a scheduled report; every report made is deleted when the test ends."""
    made: list[uuid.UUID] = []

    async def make(cron: str | None, timezone: str = "UTC", **columns: object) -> uuid.UUID:
        report_id = uuid.uuid4()
        names = ["id", "name", "sql_query", "schedule_cron", "timezone", *columns]
        values = [
            report_id,
            unique_name("Scheduled"),
            "SELECT 1",
            cron,
            timezone,
            *columns.values(),
        ]
        placeholders = ", ".join(f"${index}" for index in range(1, len(values) + 1))
        await db.execute(
            f"INSERT INTO reports ({', '.join(names)}) VALUES ({placeholders})", *values
        )
        made.append(report_id)
        return report_id

    yield make
    await db.execute("DELETE FROM reports WHERE id = ANY($1::uuid[])", made)


async def scheduled_slots(db: asyncpg.Connection, report_id: uuid.UUID) -> list[datetime]:
    rows = await db.fetch(
        "SELECT scheduled_for FROM report_runs WHERE report_id = $1 AND trigger = 'SCHEDULE' "
        "ORDER BY scheduled_for",
        report_id,
    )
    return [row["scheduled_for"] for row in rows]


async def requested_events(db: asyncpg.Connection, report_id: uuid.UUID) -> list[str]:
    """run_id of every run.requested written to the outbox for the report's runs."""
    rows = await db.fetch(
        "SELECT payload->>'run_id' AS run_id FROM outbox "
        "WHERE routing_key = 'run.requested' AND payload->>'report_id' = $1",
        str(report_id),
    )
    return [row["run_id"] for row in rows]


async def wait_for_slots(
    db: asyncpg.Connection, report_id: uuid.UUID, count: int, within: float
) -> list[datetime]:
    """The report's slots once there are `count` of them, or whatever there is after `within` s."""
    deadline = time.monotonic() + within
    while True:
        slots = await scheduled_slots(db, report_id)
        if len(slots) >= count or time.monotonic() > deadline:
            return slots
        await asyncio.sleep(0.1)


def clock_env(speed: float, epoch: datetime | None = None) -> dict[str, str]:
    """A fast scheduler clock; processes given the same epoch agree on the time."""
    return {
        "SCHEDULER_SIMULATION_CLOCK_SPEED": str(speed),
        "SCHEDULER_SIMULATION_CLOCK_EPOCH": (epoch or datetime.now(UTC)).isoformat(),
        "SCHEDULER_POLL_SECONDS": "0.2",
    }


@pytest.fixture
def fast_scheduler(start_service: StartService) -> Iterator[ServiceProcess]:
    """One scheduler whose clock runs a cron minute per real second."""
    process = start_service("scheduler", **clock_env(speed=60))
    yield process
    process.stop()
    assert "scheduling failed" not in process.log_text()
