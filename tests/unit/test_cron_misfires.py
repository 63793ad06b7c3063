"""The scheduler's pure decisions: fire on time, coalesce missed slots, skip past the grace."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.scheduler.plan import Decision, Outcome, Schedule, decide

GRACE = timedelta(seconds=300)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("cron", "timezone", "pending", "now", "catching_up", "expected"),
    [
        # On time: the pending slot, and the one after it next.
        ("* * * * *", "UTC", "10:00", "10:00:00.300", False, ("fire", "10:00", "10:01")),
        # One slot missed while down, still inside the grace: a catch-up.
        ("0 9 * * *", "UTC", "09:00", "09:03", True, ("catch-up", "09:00", "+1d 09:00")),
        # Several missed: coalesced into one run for the latest, never a burst.
        ("*/5 * * * *", "UTC", "10:00", "10:27", False, ("catch-up", "10:25", "10:30")),
        ("*/5 * * * *", "UTC", "10:00", "10:27", True, ("catch-up", "10:25", "10:30")),
        # Latest miss older than the grace: skipped, schedule carries on.
        ("0 * * * *", "UTC", "10:00", "12:30", True, ("skip", "12:00", "13:00")),
        ("0 9 * * *", "UTC", "09:00", "09:10", True, ("skip", "09:00", "+1d 09:00")),
        # Exactly at the grace boundary still fires.
        ("0 9 * * *", "UTC", "09:00", "09:05", True, ("catch-up", "09:00", "+1d 09:00")),
    ],
)
def test_due_slot_decision(
    cron: str,
    timezone: str,
    pending: str,
    now: str,
    catching_up: bool,
    expected: tuple[str, str, str],
) -> None:
    day = "2026-06-10T"
    outcome, slot, next_slot = expected
    next_day = next_slot.startswith("+1d ")
    next_at = utc(f"{day}{next_slot.removeprefix('+1d ')}+00:00") + timedelta(days=next_day)
    decision = decide(
        Schedule(uuid.uuid4(), cron, timezone),
        utc(f"{day}{pending}+00:00"),
        utc(f"{day}{now}+00:00"),
        GRACE,
        catching_up=catching_up,
    )
    assert decision == Decision(Outcome(outcome), utc(f"{day}{slot}+00:00"), next_at)


def test_spring_forward_slot_missed_while_down_is_caught_up_at_03_00_local() -> None:
    schedule = Schedule(uuid.uuid4(), "30 2 * * *", "Europe/Berlin")
    pending = utc("2026-03-29T03:00+02:00")
    decision = decide(schedule, pending, utc("2026-03-29T03:02+02:00"), GRACE, catching_up=True)
    assert decision == Decision(Outcome.CATCH_UP, pending, utc("2026-03-30T02:30+02:00"))


def test_fall_back_day_fires_the_daily_slot_once() -> None:
    schedule = Schedule(uuid.uuid4(), "30 2 * * *", "Europe/Berlin")
    first = utc("2026-10-25T02:30+02:00")
    decision = decide(schedule, first, first, GRACE, catching_up=False)
    assert decision.outcome is Outcome.FIRE
    # The repeated 02:30 (CET) an hour later is not a slot: the next one is the next day's.
    assert decision.next_slot == utc("2026-10-26T02:30+01:00")


def test_month_end_slot_missed_beyond_the_grace_waits_for_the_next_month_end() -> None:
    schedule = Schedule(uuid.uuid4(), "0 0 31 * *", "UTC")
    decision = decide(
        schedule,
        utc("2026-01-31T00:00+00:00"),
        utc("2026-02-15T00:00+00:00"),
        GRACE,
        catching_up=True,
    )
    assert decision == Decision(
        Outcome.SKIP, utc("2026-01-31T00:00+00:00"), utc("2026-03-31T00:00+00:00")
    )
