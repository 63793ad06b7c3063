"""deliver_if's `first_value`: the first column of the run's first row (from the rows the runner
kept, report_runs.first_rows) compared with the condition's value (pure).

Compared as numbers when the condition's value is a number and the first value reads as one
(a number, or text such as `12.50` or `-3e2`, exactly, as decimals); otherwise as text. A run
with no rows, or whose first value is NULL, does not meet the condition.
"""

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

Compare = Callable[[Any, Any], bool]
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SHOWN_CHARS = 100


def first_value_miss(
    first_rows: dict[str, Any] | None, op: str, compare: Compare, expected: object
) -> str | None:
    """Why the condition `first_value <op> expected` does not hold, or None when it does."""
    actual = _first_value(first_rows)
    if isinstance(actual, _Missing):
        return f"first_value {op} {expected!r} cannot hold: {actual.reason}"
    as_numbers = _number(expected) if not isinstance(expected, str) else None
    found = _number(actual) if as_numbers is not None else None
    if as_numbers is not None and found is not None:
        if compare(found, as_numbers):
            return None
        return f"first_value {_shown(actual)} {op} {expected} is false (compared as numbers)"
    if compare(_text(actual), _text(expected)):
        return None
    return f"first_value {_shown(actual)!r} {op} {_text(expected)!r} is false (compared as text)"


class _Missing:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _first_value(first_rows: dict[str, Any] | None) -> object:
    """The first column of the first row, or _Missing saying why there is none."""
    if first_rows is None:
        return _Missing("the run kept no first rows (it ran before the condition was set)")
    rows = first_rows.get("rows") or []
    if not rows or not rows[0]:
        return _Missing("the run has no rows")
    if rows[0][0] is None:
        return _Missing("the first value is NULL")
    return rows[0][0]


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return Decimal(value.strip())
    return None


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shown(value: object) -> str:
    text = _text(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"
