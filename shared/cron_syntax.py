"""The standard 5-field cron syntax as Debian's cron reads it: what is accepted, and its meaning
in the two places where croniter reads it otherwise.

Accepted per field: `*`, `*/step`, `n`, `a-b` and `a-b/step`, comma-separated; names (`jan`,
`mon`) in the month and day-of-week fields; 0 and 7 are both Sunday. Everything else that
some crons accept (`L`, `W`, `#`, `?`, `H`, `@daily`, seconds or years, `5/15`) is refused,
saying which part is not standard.

Two readings differ from croniter's defaults and are applied here:
- a range with equal ends is that one value (`5-5` is 5; croniter widens it to the whole field);
- the day fields: when both are restricted, a day matches if either matches, unless one of them
  starts with `*` (`*/2`), in which case both must match (cron's DOM_STAR/DOW_STAR rule).
"""

import re
from dataclasses import dataclass

CRON_FIELD_COUNT = 5
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_ELEMENT = re.compile(
    r"^(?:(?P<star>\*)|(?P<start>[0-9a-z]+)(?:-(?P<end>[0-9a-z]+))?)(?:/(?P<step>[0-9]+))?$"
)
_EXTENSIONS = re.compile(r"[LW#?H]", re.IGNORECASE)


class CronSyntaxError(ValueError):
    """A part of an expression that standard cron does not accept; the message says which."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    first_name_value: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS, 1),
    _Field("day-of-week", 0, 7, _WEEKDAYS, 0),
)


def standard_fields(expression: str) -> list[str]:
    """The five fields as croniter must read them to mean what cron means: each element
    checked, equal-ended ranges written as one value, and the day fields made explicit."""
    fields = expression.split()
    if len(fields) != CRON_FIELD_COUNT:
        raise CronSyntaxError(
            f"{expression!r} is not a standard 5-field cron expression "
            "(minute hour day-of-month month day-of-week)"
        )
    standard = [
        ",".join(_standard_element(field, element) for element in text.split(","))
        for field, text in zip(_FIELDS, fields, strict=True)
    ]
    if not days_must_both_match(standard) and (
        _covers_every_value(_FIELDS[2], standard[2]) or _covers_every_value(_FIELDS[4], standard[4])
    ):
        # Either day matching is enough, and one field matches every day: every day counts.
        # croniter would read a field covering every value as `*` and AND it with the other.
        standard[2] = standard[4] = "*"
    return standard


def days_must_both_match(fields: list[str]) -> bool:
    """cron's rule for the two day fields: either restricted field starting with `*` means AND."""
    return fields[2].startswith("*") or fields[4].startswith("*")


def is_wall_clock_job(fields: list[str]) -> bool:
    """A job with `*` leading its minute or hour field runs by the wall clock as it is across
    a DST change (cron(8)); other jobs are fixed-time jobs."""
    return fields[0].startswith("*") or fields[1].startswith("*")


def _covers_every_value(field: _Field, text: str) -> bool:
    values: set[int] = set()
    for element in text.split(","):
        bounds, _, step = element.partition("/")
        if bounds == "*":
            first, last = field.low, field.high
        else:
            first_text, _, last_text = bounds.partition("-")
            first, last = int(first_text), int(last_text or first_text)
        values.update(range(first, last + 1, int(step or 1)))
    if field.name == "day-of-week" and 7 in values:
        values.add(0)  # both are Sunday
    return values >= set(
        range(field.low, min(field.high, 6) + 1 if field.names == _WEEKDAYS else field.high + 1)
    )


def _standard_element(field: _Field, element: str) -> str:
    lowered = element.lower()
    match = _ELEMENT.match(lowered)
    if match is None:
        raise CronSyntaxError(_refusal(field, element))
    step = match["step"]
    if step is not None and int(step) == 0:
        raise CronSyntaxError(f"{element!r} in the {field.name} field: a step must be at least 1")
    if match["star"]:
        return lowered
    start = _value(field, match["start"], element)
    if match["end"] is None:
        if step is not None:
            raise CronSyntaxError(
                f"{element!r} in the {field.name} field is not standard cron: a step needs a "
                f"range or *, e.g. {match['start']}-{field.high}/{step}"
            )
        return str(start)
    end = _value(field, match["end"], element)
    if end < start:
        raise CronSyntaxError(
            f"{element!r} in the {field.name} field: the range runs backwards ({start} > {end})"
        )
    if end == start:  # "the specified range is inclusive" (crontab(5)): one value
        return str(start)
    return f"{start}-{end}" + (f"/{step}" if step is not None else "")


def _value(field: _Field, text: str, element: str) -> int:
    if text.isdigit():
        value = int(text)
    elif text in field.names:
        value = field.names.index(text) + field.first_name_value
    else:
        raise CronSyntaxError(_refusal(field, element))
    if not field.low <= value <= field.high:
        raise CronSyntaxError(
            f"{element!r} in the {field.name} field: {value} is outside {field.low}-{field.high}"
        )
    return value


def _refusal(field: _Field, element: str) -> str:
    if _EXTENSIONS.search(element) and not any(name in element.lower() for name in field.names):
        return (
            f"{element!r} in the {field.name} field is not standard cron "
            "(L, W, #, ? and H are extensions of other schedulers)"
        )
    names = f" or names ({', '.join(field.names)})" if field.names else ""
    return (
        f"{element!r} in the {field.name} field is not standard cron: use *, numbers "
        f"{field.low}-{field.high}{names}, ranges a-b, steps */n or a-b/n, and commas"
    )
