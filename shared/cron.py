"""Cron expressions and time zones (croniter): validation, and the DST-correct fire times.

A schedule fires at every local wall-clock time its expression matches, exactly once:
- a time skipped by a spring-forward change fires at the first valid time after the gap
  (02:30 on a 02:00→03:00 day fires at 03:00), coalesced with anything else due then;
- a time repeated by a fall-back change fires on its first occurrence only (fold=0).

croniter is given naive local times only: on aware times it fires repeated wall-clock times
twice (7.0.0), so the mapping to real instants is done here with zoneinfo.
"""

import functools
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cron_descriptor import ExpressionDescriptor, Options
from croniter import CroniterBadDateError, croniter

CRON_FIELD_COUNT = 5
# A leap year, so 29 February counts as a date that exists.
_NEVER_SKIPPED_YEAR_START = datetime(2000, 1, 1)
_MINUTE = timedelta(minutes=1)


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


@functools.lru_cache(maxsize=4096)
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
    try:
        croniter(normalized, _NEVER_SKIPPED_YEAR_START).get_next(datetime)
    except CroniterBadDateError as error:
        raise InvalidSchedule(
            "schedule_cron", f"{expression!r} never fires (no such date, e.g. 30 February)"
        ) from error
    return normalized


def _exists(local: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """False for a wall-clock time inside a spring-forward gap."""
    aware = local.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local


def to_instant(local: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant a naive local fire time stands for (see the module docstring)."""
    while not _exists(local, zone):
        local += _MINUTE
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _naive_local(instant: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def _in_second_pass(instant: datetime, zone: zoneinfo.ZoneInfo) -> timedelta | None:
    """How far the clock went back, if `instant` lies in the repeat of a fall-back hour."""
    local = instant.astimezone(zone)
    if not local.fold:
        return None
    first = local.replace(fold=0).utcoffset()
    second = local.utcoffset()
    return None if first is None or second is None else first - second


def _instants_after(
    expression: str, zone: zoneinfo.ZoneInfo, after: datetime
) -> Iterator[datetime]:
    """Fire instants strictly after `after`, ascending, without repeats."""
    candidates = croniter(validate_cron(expression), _naive_local(after, zone))
    previous = after
    while True:
        instant = to_instant(candidates.get_next(datetime), zone)
        # A gap collapses several local times onto one instant, and in the repeat of a
        # fall-back hour the first occurrences of the next local times are already past.
        if instant > previous:
            previous = instant
            yield instant


@functools.lru_cache(maxsize=4096)
def next_fire_time(expression: str, timezone: str, after: datetime) -> datetime:
    """The first fire time strictly after `after` (aware), in UTC."""
    return next(_instants_after(expression, validate_timezone(timezone), after))


def next_fire_times(expression: str, timezone: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times strictly after `after` (aware), in the schedule's time zone."""
    zone = validate_timezone(timezone)
    instants = _instants_after(expression, zone, after)
    return [next(instants).astimezone(zone) for _ in range(count)]


def latest_fire_time(expression: str, timezone: str, at: datetime) -> datetime:
    """The last fire time at or before `at` (aware), in UTC."""
    zone = validate_timezone(timezone)
    start = _naive_local(at, zone) + (_in_second_pass(at, zone) or timedelta()) + _MINUTE
    candidates = croniter(validate_cron(expression), start.replace(second=0, microsecond=0))
    while True:
        instant = to_instant(candidates.get_prev(datetime), zone)
        if instant <= at:
            return instant


def describe_cron(expression: str) -> str:
    """A person's reading of the expression, e.g. `At 07:00 AM, on day 1 of the month`."""
    options = Options()
    options.use_24hour_time_format = True
    return str(ExpressionDescriptor(validate_cron(expression), options).get_description())
