"""The CSV formula-injection guard (a report's `csv_formula_guard`): a text cell a spreadsheet
would read as a formula gets a leading `'`, so it is shown as text, never evaluated.

Only columns that can hold such text are guarded: a number, date, time or boolean column is
written by PostgreSQL and never starts a formula (and `-5` must stay a number). Column names
are guarded too — a query chooses them (`AS "=HYPERLINK(...)"`).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from asyncpg import Attribute

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNGUARDED_TYPES = frozenset(
    {
        "int2",
        "int4",
        "int8",
        "float4",
        "float8",
        "numeric",
        "bool",
        "date",
        "time",
        "timetz",
        "timestamp",
        "timestamptz",
        "interval",
        "uuid",
    }
)


def guarded_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def guarded_names(names: Sequence[str]) -> list[str]:
    return [guarded_text(name) for name in names]


def guarded_columns(columns: Sequence[Attribute]) -> list[bool]:
    """Which columns to guard: all but PostgreSQL's own numeric, temporal and boolean types."""
    return [
        not (column.type.schema == "pg_catalog" and column.type.name in UNGUARDED_TYPES)
        for column in columns
    ]


def guarded_rows(rows: Iterable[Iterable[Any]], guarded: Sequence[bool]) -> list[tuple[Any, ...]]:
    """The rows with each text value of a guarded column made safe; other values unchanged."""
    return [
        tuple(
            guarded_text(value) if guard and isinstance(value, str) else value
            for value, guard in zip(row, guarded, strict=True)
        )
        for row in rows
    ]
