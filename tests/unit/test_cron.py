"""Fire-time arithmetic of shared.cron: DST days, month ends, leap years, misfire look-back."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from shared.cron import (
    InvalidSchedule,
    describe_cron_rules,
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
        # Hourly (`*` in the hour field) runs by the clock: the repeated 02:00 fires again …
        (
            "0 * * * *",
            "Europe/Berlin",
            "2026-10-25T00:30+02:00",
            [
                "2026-10-25T01:00+02:00",
                "2026-10-25T02:00+02:00",
                "2026-10-25T02:00+01:00",
                "2026-10-25T03:00+01:00",
            ],
        ),
        # … and the skipped 02:00 does not fire.
        (
            "0 * * * *",
            "Europe/Berlin",
            "2026-03-29T00:30+01:00",
            ["2026-03-29T01:00+01:00", "2026-03-29T03:00+02:00"],
        ),
        # Every 15 minutes stays every 15 minutes of real time through the repeated hour.
        (
            "*/15 * * * *",
            "America/New_York",
            "2026-11-01T01:40-04:00",
            [
                "2026-11-01T01:45-04:00",
                "2026-11-01T01:00-05:00",
                "2026-11-01T01:15-05:00",
                "2026-11-01T01:30-05:00",
                "2026-11-01T01:45-05:00",
                "2026-11-01T02:00-05:00",
            ],
        ),
        # A fixed-time job in the repeated hour, asked from inside its first pass.
        (
            "50 2 * * *",
            "Europe/Berlin",
            "2026-10-25T02:10+02:00",
            ["2026-10-25T02:50+02:00", "2026-10-26T02:50+01:00"],
        ),
        # A range with equal ends is one value (croniter alone reads 5-5 as every hour).
        (
            "0 5-5 * * *",
            "UTC",
            "2026-05-01T00:00+00:00",
            ["2026-05-01T05:00+00:00", "2026-05-02T05:00+00:00"],
        ),
        (
            "0 9 * * MON-MON",
            "UTC",
            "2026-05-01T00:00+00:00",
            ["2026-05-04T09:00+00:00", "2026-05-11T09:00+00:00"],
        ),
        (
            "0 0 1 5-5 *",
            "UTC",
            "2026-01-01T00:00+00:00",
            ["2026-05-01T00:00+00:00", "2027-05-01T00:00+00:00"],
        ),
        # Both day fields restricted, one starting with `*`: both must match (cron's AND) …
        (
            "0 0 */2 * 1",
            "UTC",
            "2026-05-01T00:00+00:00",
            ["2026-05-11T00:00+00:00", "2026-05-25T00:00+00:00"],
        ),
        # … otherwise either one is enough (OR): the 1st, and every Monday.
        (
            "0 0 1 * 1",
            "UTC",
            "2026-05-28T00:00+00:00",
            ["2026-06-01T00:00+00:00", "2026-06-08T00:00+00:00"],
        ),
        (
            "0 21-21/2 * * *",
            "UTC",
            "2026-05-01T00:00+00:00",
            ["2026-05-01T21:00+00:00", "2026-05-02T21:00+00:00"],
        ),
        # Either day field matching is enough, and one lists every weekday: every day.
        ("0 0 20 * 6-6,*,3-5", "UTC", "2026-05-01T00:00+00:00", ["2026-05-02T00:00+00:00"]),
        # Sunday is 0 or 7, and names are accepted in any case.
        ("0 0 * * 7", "UTC", "2026-05-01T00:00+00:00", ["2026-05-03T00:00+00:00"]),
        ("0 0 * jun sun", "UTC", "2026-05-01T00:00+00:00", ["2026-06-07T00:00+00:00"]),
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


def test_every_minute_keeps_firing_every_minute_in_the_repeated_hour() -> None:
    after = utc("2026-11-01T01:58-05:00")  # second pass of 01:xx in New York
    assert next_fire_time("* * * * *", "America/New_York", after) == utc("2026-11-01T01:59-05:00")


def test_every_15_minutes_fires_96_times_a_day_even_on_dst_days_by_real_time() -> None:
    zone = "Europe/Berlin"
    # 25 real hours on the fall-back day, 23 on the spring-forward day: 100 and 92 slots.
    fall_back = next_fire_times("*/15 * * * *", zone, utc("2026-10-24T23:59+02:00"), 101)
    assert [t for t in fall_back if t.date().isoformat() == "2026-10-25"] == fall_back[:100]
    spring = next_fire_times("*/15 * * * *", zone, utc("2026-03-28T23:59+01:00"), 93)
    assert [t for t in spring if t.date().isoformat() == "2026-03-29"] == spring[:92]
    for times in (fall_back, spring):
        # In UTC: aware times of one zone subtract as wall-clock times.
        instants = [time.astimezone(UTC) for time in times]
        gaps = {later - earlier for earlier, later in itertools.pairwise(instants)}
        assert gaps == {timedelta(minutes=15)}


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
        # A wall-clock job inside the second pass of the repeated hour: that pass's slot.
        ("*/20 * * * *", "Europe/Berlin", "2026-10-25T02:30+01:00", "2026-10-25T02:20+01:00"),
        # … and in the first pass: the first pass's slot.
        ("*/20 * * * *", "Europe/Berlin", "2026-10-25T02:30+02:00", "2026-10-25T02:20+02:00"),
        # Right after a spring-forward gap: the last slot before it (02:xx never happened).
        ("*/20 * * * *", "Europe/Berlin", "2026-03-29T03:10+02:00", "2026-03-29T03:00+02:00"),
        ("40 * * * *", "Europe/Berlin", "2026-03-29T03:10+02:00", "2026-03-29T01:40+01:00"),
        ("0 0 29 2 *", "UTC", "2027-06-01T00:00+00:00", "2024-02-29T00:00+00:00"),
    ],
)
def test_latest_fire_time_is_the_last_slot_at_or_before(
    expression: str, timezone: str, at: str, expected: str
) -> None:
    assert latest_fire_time(expression, timezone, utc(at)) == utc(expected)


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("* * * *", "5-field"),
        ("0 9 * * * 2026", "5-field"),
        ("@daily", "5-field"),
        ("bogus", "5-field"),
        ("61 * * * *", "61 is outside 0-59"),
        ("0 24 * * *", "24 is outside 0-23"),
        ("0 0 0 * *", "0 is outside 1-31"),
        ("0 0 L * *", "'L' in the day-of-month field is not standard cron"),
        ("0 0 15W * *", "'15W' in the day-of-month field is not standard cron"),
        ("0 0 * * 1#2", "'1#2' in the day-of-week field is not standard cron"),
        ("0 0 ? * 1", "'?' in the day-of-month field is not standard cron"),
        ("H * * * *", "'H' in the minute field is not standard cron"),
        ("5/15 * * * *", "a step needs a range or *, e.g. 5-59/15"),
        ("*/0 * * * *", "a step must be at least 1"),
        ("0 5-3 * * *", "the range runs backwards"),
        ("0 0 * mon *", "'mon' in the month field is not standard cron"),
        ("0 0 30 2 *", "never fires"),
    ],
)
def test_non_standard_cron_expressions_are_rejected_naming_the_part(
    expression: str, says: str
) -> None:
    with pytest.raises(InvalidSchedule) as raised:
        validate_cron(expression)
    assert raised.value.field == "schedule_cron"
    assert says in str(raised.value)


def test_a_valid_expression_is_kept_as_written_but_for_white_space() -> None:
    assert validate_cron("  0   9 * *  MON-MON ") == "0 9 * * MON-MON"


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("0 0 */2 * 1", "Only days matching both the day-of-month and the day-of-week"),
        ("0 0 1 * 1", "A day matching either the day-of-month or the day-of-week field"),
        ("*/15 * * * *", "runs by the clock as it is"),
        ("30 2 * * *", "a skipped time runs just after the gap"),
    ],
)
def test_the_description_states_the_day_and_dst_rules(expression: str, says: str) -> None:
    assert says in describe_cron_rules(expression)


def test_unknown_time_zones_are_rejected() -> None:
    with pytest.raises(InvalidSchedule) as raised:
        validate_timezone("Mars/Olympus_Mons")
    assert raised.value.field == "timezone"
