"""Cron expressions and time zones (croniter): validation, and the fire times of a schedule."""

import functools
import zoneinfo
from datetime import datetime

from croniter import croniter

CRON_FIELD_COUNT = 5


class InvalidSchedule(ValueError):
    """A cron expression or time zone that cannot be used; `field` names which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@functools.cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> zoneinfo.ZoneInfo:
    if name not in _known_time_zones():
        raise InvalidSchedule(
            "timezone",
            f"unknown time zone {name!r}: use an IANA name such as 'UTC' or 'Europe/Berlin'",
        )
    return zoneinfo.ZoneInfo(name)


def validate_cron(expression: str) -> str:
    """Returns the expression with its white space normalized; only standard 5-field cron."""
    fields = expression.split()
    if len(fields) != CRON_FIELD_COUNT:
        raise InvalidSchedule(
            "schedule_cron",
            f"{expression!r} is not a standard 5-field cron "
            "expression (minute hour day month weekday)",
        )
    normalized = " ".join(fields)
    if not croniter.is_valid(normalized):
        raise InvalidSchedule("schedule_cron", f"{expression!r} is not a valid cron expression")
    return normalized


def next_fire_times(expression: str, timezone: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times strictly after `after` (aware), in the schedule's time zone."""
    zone = validate_timezone(timezone)
    iterator = croniter(validate_cron(expression), after.astimezone(zone))
    return [iterator.get_next(datetime) for _ in range(count)]
