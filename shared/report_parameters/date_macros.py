"""Built-in date parameters (`{{ last_week_start }}` …), evaluated in the report's time zone at
the run's slot: weeks start on Monday (ISO), every `*_end` is the last day, inclusive."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MACRO_NAMES = (
    "today",
    "yesterday",
    "this_week_start",
    "last_week_start",
    "last_week_end",
    "this_month_start",
    "last_month_start",
    "last_month_end",
    "this_quarter_start",
    "last_quarter_start",
    "last_quarter_end",
    "this_year_start",
    "last_year_start",
    "last_year_end",
)
RESERVED_NAMES = frozenset(MACRO_NAMES)


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar date the report's time zone shows at `moment` (an aware datetime)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def macro_dates(today: date) -> dict[str, date]:
    """Every macro's date for a run whose slot falls on `today` (in the report's zone)."""
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    quarter_start = _quarter_start(today)
    last_quarter_end = quarter_start - timedelta(days=1)
    return {
        "today": today,
        "yesterday": today - timedelta(days=1),
        "this_week_start": week_start,
        "last_week_start": week_start - timedelta(days=7),
        "last_week_end": week_start - timedelta(days=1),
        "this_month_start": month_start,
        "last_month_start": last_month_end.replace(day=1),
        "last_month_end": last_month_end,
        "this_quarter_start": quarter_start,
        "last_quarter_start": _quarter_start(last_quarter_end),
        "last_quarter_end": last_quarter_end,
        "this_year_start": date(today.year, 1, 1),
        "last_year_start": date(today.year - 1, 1, 1),
        "last_year_end": date(today.year - 1, 12, 31),
    }
