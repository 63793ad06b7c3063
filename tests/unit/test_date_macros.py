"""Date macros: ISO weeks, month, quarter and year ends (leap years), and the local date of a
run's slot in the report's time zone across DST changes."""

from datetime import UTC, date, datetime

import pytest

from shared.report_parameters.date_macros import MACRO_NAMES, local_date, macro_dates


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # A Monday: this week starts today, last week is the previous Monday to Sunday.
        (
            date(2026, 3, 30),
            {
                "yesterday": date(2026, 3, 29),
                "this_week_start": date(2026, 3, 30),
                "last_week_start": date(2026, 3, 23),
                "last_week_end": date(2026, 3, 29),
            },
        ),
        # A Sunday still belongs to the week that began on Monday.
        (date(2026, 3, 29), {"this_week_start": date(2026, 3, 23)}),
        # Leap year: February has 29 days.
        (
            date(2028, 3, 1),
            {
                "yesterday": date(2028, 2, 29),
                "last_month_start": date(2028, 2, 1),
                "last_month_end": date(2028, 2, 29),
            },
        ),
        (date(2026, 3, 1), {"last_month_end": date(2026, 2, 28)}),
        # Month and year boundaries.
        (
            date(2026, 1, 1),
            {
                "yesterday": date(2025, 12, 31),
                "this_week_start": date(2025, 12, 29),
                "last_month_start": date(2025, 12, 1),
                "last_month_end": date(2025, 12, 31),
                "this_quarter_start": date(2026, 1, 1),
                "last_quarter_start": date(2025, 10, 1),
                "last_quarter_end": date(2025, 12, 31),
                "this_year_start": date(2026, 1, 1),
                "last_year_start": date(2025, 1, 1),
                "last_year_end": date(2025, 12, 31),
            },
        ),
        (date(2026, 5, 31), {"last_month_end": date(2026, 4, 30)}),
        (
            date(2026, 6, 30),
            {
                "this_quarter_start": date(2026, 4, 1),
                "last_quarter_start": date(2026, 1, 1),
                "last_quarter_end": date(2026, 3, 31),
            },
        ),
        (date(2026, 11, 29), {"this_quarter_start": date(2026, 10, 1)}),
    ],
)
def test_macro_dates(today: date, expected: dict[str, date]) -> None:
    dates = macro_dates(today)
    assert set(dates) == set(MACRO_NAMES)
    assert dates["today"] == today
    assert {name: dates[name] for name in expected} == expected


@pytest.mark.parametrize(
    ("moment", "timezone", "expected"),
    [
        # Monday 2026-03-30 00:00 in Berlin (summer time since Sunday) is still Sunday in UTC.
        ("2026-03-29T22:00:00+00:00", "Europe/Berlin", date(2026, 3, 30)),
        ("2026-03-29T21:59:59+00:00", "Europe/Berlin", date(2026, 3, 29)),
        # The week before the change: midnight was 23:00 UTC.
        ("2026-03-22T23:00:00+00:00", "Europe/Berlin", date(2026, 3, 23)),
        # Monday after the autumn change (winter time again): midnight is 23:00 UTC.
        ("2026-10-25T23:00:00+00:00", "Europe/Berlin", date(2026, 10, 26)),
        ("2026-03-09T04:30:00+00:00", "America/New_York", date(2026, 3, 9)),
        ("2026-03-09T03:59:00+00:00", "America/New_York", date(2026, 3, 8)),
        ("2026-12-31T23:30:00+00:00", "Pacific/Kiritimati", date(2027, 1, 1)),
        ("2026-12-31T23:30:00+00:00", "UTC", date(2026, 12, 31)),
    ],
)
def test_slot_date_is_read_in_the_report_time_zone(
    moment: str, timezone: str, expected: date
) -> None:
    assert local_date(datetime.fromisoformat(moment), timezone) == expected


def test_last_week_of_a_run_on_the_monday_after_a_dst_change_spans_the_change() -> None:
    slot = datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # 08:00 in Berlin, summer time
    dates = macro_dates(local_date(slot, "Europe/Berlin"))
    assert (dates["last_week_start"], dates["last_week_end"]) == (
        date(2026, 3, 23),
        date(2026, 3, 29),  # the Sunday clocks went forward
    )
