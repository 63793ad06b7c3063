"""Fire-time arithmetic of shared.cron: DST days, month ends, leap years, misfire look-back."""

from datetime import UTC, datetime

import pytest

from shared.cron import (
    InvalidSchedule,
    latest_fire_time,
    next_fire_time,
    next_fire_times,
    validate_cron,
    validate_timezone,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("expression", "timezone", "after", "expected"),
    [
        # Spring forward: 02:30 does not exist; fires once, at 03:00 local.
        (
            "30 2 * * *",
            "Europe/Berlin",
            "2026-03-28T12:00+01:00",
            ["2026-03-29T03:00+02:00", "2026-03-30T02:30+02:00"],
        ),
        (
            "30 2 * * *",
            "America/New_York",
            "2026-03-07T12:00-05:00",
            ["2026-03-08T03:00-04:00", "2026-03-09T02:30-04:00"],
        ),
        # Fall back: 02:30 (Berlin) and 01:30 (New York) happen twice; fire on the first only.
        (
            "30 2 * * *",
            "Europe/Berlin",
            "2026-10-24T12:00+02:00",
            ["2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00"],
        ),
        (
            "30 1 * * *",
            "America/New_York",
            "2026-10-31T12:00-04:00",
            ["2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00"],
        ),
        # 09:00 stays 09:00 local across both changes.
        (
            "0 9 * * *",
            "Europe/Berlin",
            "2026-03-28T10:00+01:00",
            ["2026-03-29T09:00+02:00", "2026-03-30T09:00+02:00"],
        ),
        (
            "0 9 * * *",
            "America/New_York",
            "2026-10-31T10:00-04:00",
            ["2026-11-01T09:00-05:00", "2026-11-02T09:00-05:00"],
        ),
        # Several skipped local times collapse onto the first valid one, with no repeat.
        (
            "*/20 * * * *",
            "Europe/Berlin",
            "2026-03-29T01:30+01:00",
            ["2026-03-29T01:40+01:00", "2026-03-29T03:00+02:00", "2026-03-29T03:20+02:00"],
        ),
        # Hourly across the fall-back: the repeated 02:00 fires once (first pass).
        (
            "0 * * * *",
            "Europe/Berlin",
            "2026-10-25T00:30+02:00",
            ["2026-10-25T01:00+02:00", "2026-10-25T02:00+02:00", "2026-10-25T03:00+01:00"],
        ),
        # Month ends and leap days.
        ("0 0 31 * *", "UTC", "2026-01-31T00:00+00:00", ["2026-03-31T00:00+00:00"]),
        ("0 12 29 2 *", "UTC", "2026-01-01T00:00+00:00", ["2028-02-29T12:00+00:00"]),
        ("59 23 * * *", "Asia/Kolkata", "2026-12-31T23:59+05:30", ["2027-01-01T23:59+05:30"]),
        # Strictly after: a slot equal to `after` is not returned again.
        ("*/5 * * * *", "UTC", "2026-05-01T10:05+00:00", ["2026-05-01T10:10+00:00"]),
    ],
)
def test_next_fire_times_follow_local_wall_clock(
    expression: str, timezone: str, after: str, expected: list[str]
) -> None:
    fired = next_fire_times(expression, timezone, utc(after), len(expected))
    # Compared in UTC: an aware time inside a repeated hour never equals one of another zone.
    assert [time.astimezone(UTC) for time in fired] == [utc(text) for text in expected]
    assert [time.tzinfo for time in fired] == [validate_timezone(timezone)] * len(expected)


def test_daily_job_fires_once_on_the_fall_back_day_when_asked_from_inside_the_repeat() -> None:
    # 02:45 CET is the second pass of the repeated hour: the 02:30 slot of the day is past.
    after = utc("2026-10-25T02:45+01:00")
    assert next_fire_time("30 2 * * *", "Europe/Berlin", after) == utc("2026-10-26T02:30+01:00")


def test_every_minute_resumes_after_the_repeated_hour_without_firing_it_twice() -> None:
    after = utc("2026-11-01T01:58-05:00")  # second pass of 01:xx in New York
    assert next_fire_time("* * * * *", "America/New_York", after) == utc("2026-11-01T02:00-05:00")


def test_daily_02_30_fires_exactly_once_per_day_across_a_dst_year() -> None:
    fired = next_fire_times("30 2 * * *", "Europe/Berlin", utc("2026-01-01T00:00+01:00"), 365)
    local_days = [time.date() for time in fired]
    assert len(set(local_days)) == 365


@pytest.mark.parametrize(
    ("expression", "timezone", "at", "expected"),
    [
        ("*/5 * * * *", "UTC", "2026-05-01T10:07:30+00:00", "2026-05-01T10:05+00:00"),
        ("*/5 * * * *", "UTC", "2026-05-01T10:05+00:00", "2026-05-01T10:05+00:00"),
        ("0 9 * * *", "Europe/Berlin", "2026-03-29T08:59+02:00", "2026-03-28T09:00+01:00"),
        ("30 2 * * *", "Europe/Berlin", "2026-03-29T03:10+02:00", "2026-03-29T03:00+02:00"),
        # In the repeat of the fall-back hour the first pass's 02:50 is already past.
        ("50 2 * * *", "Europe/Berlin", "2026-10-25T02:10+01:00", "2026-10-25T02:50+02:00"),
        ("0 0 1 * *", "UTC", "2026-03-01T00:00:59+00:00", "2026-03-01T00:00+00:00"),
    ],
)
def test_latest_fire_time_is_the_last_slot_at_or_before(
    expression: str, timezone: str, at: str, expected: str
) -> None:
    assert latest_fire_time(expression, timezone, utc(at)) == utc(expected)


@pytest.mark.parametrize("expression", ["* * * *", "0 9 * * * 2026", "61 * * * *", "bogus"])
def test_non_standard_cron_expressions_are_rejected(expression: str) -> None:
    with pytest.raises(InvalidSchedule) as raised:
        validate_cron(expression)
    assert raised.value.field == "schedule_cron"


def test_unknown_time_zones_are_rejected() -> None:
    with pytest.raises(InvalidSchedule) as raised:
        validate_timezone("Mars/Olympus_Mons")
    assert raised.value.field == "timezone"
