"""Cron expressions and time zones (croniter): validation, and fire times as Debian's cron has them.

The syntax and its two day-field/range readings are in `shared.cron_syntax`. Across DST changes
(cron(8)), with fire times computed in the report's time zone:
- a fixed-time job (no `*` leading its minute or hour field) fires at every local time it
  matches, once: a time skipped by a spring-forward change fires at the first valid time after
  the gap (02:30 on a 02:00→03:00 day fires at 03:00), coalesced with anything else due then;
  a time repeated by a fall-back change fires on its first occurrence only;
- a wall-clock job (`*/15 * * * *`, `0 * * * *`) runs by the clock as it is: times inside a
  spring-forward gap do not occur and do not fire, and the repeated hour fires again, so every
  15 minutes stays every 15 minutes of real time.

croniter is given naive local times only (on aware times it fires repeated wall-clock times
twice, 7.0.0); the mapping to real instants is done here with zoneinfo.
"""

import functools
import heapq
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cron_descriptor import ExpressionDescriptor, Options
from croniter import CroniterBadDateError, croniter

from shared.cron_syntax import (
    CronSyntaxError,
    days_must_both_match,
    is_wall_clock_job,
    standard_fields,
)

# A leap year, so 29 February counts as a date that exists.
_NEVER_SKIPPED_YEAR_START = datetime(2000, 1, 1)
_MINUTE = timedelta(minutes=1)
# cron(8)'s special DST handling covers clock changes of less than 3 hours; so does ours.
_DST_WINDOW = timedelta(hours=3)
# latest_fire_time looks back this far at first, doubling up to the longest gap between slots.
_FIRST_LOOK_BACK = timedelta(minutes=2)
_LONGEST_LOOK_BACK = timedelta(days=366 * 28)


class InvalidSchedule(ValueError):
    """A cron expression or time zone that cannot be used; `field` names which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@functools.cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """Every zone `validate_timezone` accepts, sorted (the web form's time-zone picker)."""
    return tuple(sorted(_known_time_zones()))


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
    try:
        fields = standard_fields(expression)
    except CronSyntaxError as error:
        raise InvalidSchedule("schedule_cron", str(error)) from error
    try:
        _candidates(" ".join(fields), _NEVER_SKIPPED_YEAR_START).get_next(datetime)
    except CroniterBadDateError as error:
        raise InvalidSchedule(
            "schedule_cron", f"{expression!r} never fires (no such date, e.g. 30 February)"
        ) from error
    return " ".join(expression.split())


@functools.lru_cache(maxsize=4096)
def _meaning(expression: str) -> tuple[str, bool]:
    """(the expression as croniter must read it, whether it is a wall-clock job)."""
    validate_cron(expression)
    fields = standard_fields(expression)
    return " ".join(fields), is_wall_clock_job(fields)


def _candidates(evaluated: str, start: datetime) -> croniter:
    """Local wall-clock times matching `evaluated`, from the naive `start`."""
    fields = evaluated.split()
    # implement_cron_bug: croniter's name for cron's AND of the day fields when one starts
    # with `*`; day_or is the OR of two restricted day fields.
    return croniter(evaluated, start, day_or=True, implement_cron_bug=days_must_both_match(fields))


def _exists(local: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """False for a wall-clock time inside a spring-forward gap."""
    aware = local.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local


def to_instant(local: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The instant a fixed-time job's naive local fire time stands for (module docstring)."""
    while not _exists(local, zone):
        local += _MINUTE
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _wall_clock_instants(local: datetime, zone: zoneinfo.ZoneInfo) -> list[datetime]:
    """Every instant at which the clock shows `local`: none in a gap, two in a repeated hour."""
    instants = {local.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
    return sorted(instant for instant in instants if _naive_local(instant, zone) == local)


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


def _clock_changes_soon(instant: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    return (
        instant.astimezone(zone).utcoffset() != (instant + _DST_WINDOW).astimezone(zone).utcoffset()
    )


def _fixed_time_instants_after(
    evaluated: str, zone: zoneinfo.ZoneInfo, after: datetime
) -> Iterator[datetime]:
    candidates = _candidates(evaluated, _naive_local(after, zone))
    previous = after
    while True:
        instant = to_instant(candidates.get_next(datetime), zone)
        # A gap collapses several local times onto one instant, and in the repeat of a
        # fall-back hour the first occurrences of the next local times are already past.
        if instant > previous:
            previous = instant
            yield instant


def _wall_clock_instants_after(
    evaluated: str, zone: zoneinfo.ZoneInfo, after: datetime
) -> Iterator[datetime]:
    """In order although a repeated hour interleaves them: the instants of each local time wait
    in a heap until no later local time can come before them (the first passes are ordered)."""
    start = _naive_local(after, zone)
    if _clock_changes_soon(after, zone):
        start -= _DST_WINDOW  # a repeat to come shows local times earlier than `after`'s
    candidates = _candidates(evaluated, start)
    pending: list[datetime] = []
    while True:
        instants = _wall_clock_instants(candidates.get_next(datetime), zone)
        for instant in instants:
            heapq.heappush(pending, instant)
        while instants and pending and pending[0] <= instants[0]:
            instant = heapq.heappop(pending)
            if instant > after:
                yield instant


def _instants_after(
    expression: str, zone: zoneinfo.ZoneInfo, after: datetime
) -> Iterator[datetime]:
    """Fire instants strictly after `after`, ascending, without repeats."""
    evaluated, wall_clock = _meaning(expression)
    if wall_clock:
        return _wall_clock_instants_after(evaluated, zone, after)
    return _fixed_time_instants_after(evaluated, zone, after)


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
    evaluated, wall_clock = _meaning(expression)
    if not wall_clock:
        return _latest_fixed_time(evaluated, zone, at)
    look_back = _FIRST_LOOK_BACK
    while look_back <= _LONGEST_LOOK_BACK:
        latest = None
        for instant in _wall_clock_instants_after(evaluated, zone, at - look_back):
            if instant > at:
                break
            latest = instant
        if latest is not None:
            return latest
        look_back *= 2
    raise InvalidSchedule("schedule_cron", f"{expression!r} has not fired for 28 years")


def _latest_fixed_time(evaluated: str, zone: zoneinfo.ZoneInfo, at: datetime) -> datetime:
    start = _naive_local(at, zone) + (_in_second_pass(at, zone) or timedelta()) + _MINUTE
    candidates = _candidates(evaluated, start.replace(second=0, microsecond=0))
    while True:
        instant = to_instant(candidates.get_prev(datetime), zone)
        if instant <= at:
            return instant


def fire_times_under_the_old_rules(
    expression: str, timezone: str, after: datetime, count: int
) -> list[datetime]:
    """The next fire times as ReportFlow computed them before it followed cron's rules
    (croniter's own reading of ranges and day fields; every job mapped like a fixed-time job):
    only to tell people at upgrade which schedules now fire at other times."""
    zone = validate_timezone(timezone)
    candidates = croniter(validate_cron(expression), _naive_local(after, zone))
    fired: list[datetime] = []
    while len(fired) < count:
        instant = to_instant(candidates.get_next(datetime), zone)
        if instant > (fired[-1] if fired else after):
            fired.append(instant)
    return fired


def describe_cron(expression: str) -> str:
    """A person's reading of the expression, e.g. `At 07:00, on day 1 of the month`."""
    options = Options()
    options.use_24hour_time_format = True
    evaluated, _ = _meaning(expression)
    return str(ExpressionDescriptor(evaluated, options).get_description())


def describe_cron_rules(expression: str) -> str:
    """The rules behind the fire times that the description does not say: how the two day
    fields combine (when both are restricted) and what happens on DST days."""
    evaluated, wall_clock = _meaning(expression)
    fields = evaluated.split()
    rules = []
    if fields[2] != "*" and fields[4] != "*":
        rules.append(
            "Only days matching both the day-of-month and the day-of-week field count (one "
            "starts with *)."
            if days_must_both_match(fields)
            else "A day matching either the day-of-month or the day-of-week field counts."
        )
    rules.append(
        "On DST days it runs by the clock as it is: not in a skipped hour, again in a "
        "repeated hour."
        if wall_clock
        else "On DST days a skipped time runs just after the gap, and a repeated time once."
    )
    return " ".join(rules)
