"""A parameter's value checked against its type: the JSON a run records, and the text that
travels as a bind parameter for PostgreSQL to cast back (a value never becomes SQL text).

Besides JSON's own types, the text forms a command line sends are accepted (`"5"` for an
integer, `"true"` for a boolean); lists are JSON arrays.
"""

import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

MAX_TEXT_CHARS = 10_000
MAX_LIST_ITEMS = 1_000
# The encoded value of one parameter (a list's JSON array), as it travels to PostgreSQL.
MAX_ENCODED_CHARS = 100_000
BIGINT_RANGE = range(-(2**63), 2**63)
INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,19}")
NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
BOOLEAN_TEXT = {"true": True, "false": False}


class InvalidValue(ValueError):
    """The value does not fit the parameter's type or a limit; the message says which."""


@dataclass(frozen=True)
class Coerced:
    recorded: Any  # JSON: what the run records (and answers) as the value it used
    setting: str  # the text PostgreSQL casts to the declared type


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(value: object) -> Coerced:
    if not isinstance(value, str):
        raise InvalidValue(f"expected text (a JSON string), got {_shown(value)}")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidValue(f"text has at most {MAX_TEXT_CHARS} characters; it has {len(value)}")
    if "\x00" in value:
        raise InvalidValue("text must not contain NUL characters")
    return Coerced(value, value)


def _integer(value: object) -> Coerced:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and INTEGER_TEXT.fullmatch(value.strip()):
        number = int(value)
    if number is None or number not in BIGINT_RANGE:
        raise InvalidValue(f"expected an integer (64-bit), got {_shown(value)}")
    return Coerced(number, str(number))


def _number(value: object) -> Coerced:
    number: float | int | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and NUMBER_TEXT.fullmatch(value.strip()):
        number = float(value)
    if number is None or not math.isfinite(number):
        raise InvalidValue(f"expected a finite number, got {_shown(value)}")
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        number = int(number)
    return Coerced(number, repr(number))


def _date(value: object) -> Coerced:
    try:
        if isinstance(value, str) and DATE_TEXT.fullmatch(value):
            day = date.fromisoformat(value).isoformat()
            return Coerced(day, day)
    except ValueError:
        pass
    raise InvalidValue(f"expected a date as YYYY-MM-DD, got {_shown(value)}")


def _timestamp(value: object) -> Coerced:
    moment: datetime | None = None
    if isinstance(value, str) and DATE_TEXT.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None or moment.utcoffset() is None:
        raise InvalidValue(
            "expected an ISO 8601 timestamp with its UTC offset "
            f"(e.g. 2026-03-30T08:00:00+02:00 or …Z), got {_shown(value)}"
        )
    text = moment.isoformat()
    return Coerced(text, text)


def _boolean(value: object) -> Coerced:
    flag = value if isinstance(value, bool) else None
    if isinstance(value, str):
        flag = BOOLEAN_TEXT.get(value.strip().lower())
    if flag is None:
        raise InvalidValue(f"expected a boolean (true or false), got {_shown(value)}")
    return Coerced(flag, "true" if flag else "false")


SCALARS = {
    "text": _text,
    "integer": _integer,
    "number": _number,
    "date": _date,
    "timestamp": _timestamp,
    "boolean": _boolean,
}


def coerce(item_type: str, is_list: bool, value: object) -> Coerced:
    """The value as `item_type` (or a list of it); raises InvalidValue saying what is wrong."""
    scalar = SCALARS[item_type]
    if not is_list:
        return scalar(value)
    if not isinstance(value, list):
        raise InvalidValue(f"expected a list (a JSON array) of {item_type}, got {_shown(value)}")
    if len(value) > MAX_LIST_ITEMS:
        raise InvalidValue(f"a list has at most {MAX_LIST_ITEMS} items; it has {len(value)}")
    items = []
    for index, item in enumerate(value):
        try:
            items.append(scalar(item))
        except InvalidValue as error:
            raise InvalidValue(f"item {index}: {error}") from error
    # Every item as a JSON string: PostgreSQL reads them back with jsonb_array_elements_text.
    encoded = json.dumps([item.setting for item in items], ensure_ascii=False)
    if len(encoded) > MAX_ENCODED_CHARS:
        raise InvalidValue(f"the list is over {MAX_ENCODED_CHARS} characters once encoded")
    return Coerced([item.recorded for item in items], encoded)
