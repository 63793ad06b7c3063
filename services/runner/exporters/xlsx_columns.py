"""Whole columns of SpreadsheetML cells: the common values formatted in line, the rest by cell.

A Python call per cell was most of the writer's CPU; here each column is one comprehension
whose common case is a single f-string. Values Excel cannot hold (integers beyond 2^53,
NaN/±Infinity, dates before 1900, BC or infinite, timestamps with fractional seconds) go
through `xlsx_cells`, so every cell has exactly the bytes `xlsx_cells` gives it. A NULL is
an empty string: no cell.
"""

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from services.runner.exporters import xlsx_cells
from services.runner.exporters.xlsx_cells import (
    DATE_STYLE,
    EXACT_INTEGER_LIMIT,
    MAX_CELL_TEXT,
    TIMESTAMP_STYLE,
)

# (column letters, Excel row numbers as text, the column's values) → one string per row.
ColumnRenderer = Callable[[str, Sequence[str], Sequence[Any]], list[str]]
_DAY_CACHE_SIZE = 4096
# What may follow a timestamp's seconds when it has no fraction: nothing or the UTC offset.
_AFTER_WHOLE_SECONDS = frozenset({"", "+", "-"})
_CLOCK_SECONDS = {
    f"{hour:02}:{minute:02}": hour * 3600 + minute * 60
    for hour in range(24)
    for minute in range(60)
}
_SECONDS = {f"{second:02}": second for second in range(60)}
# Checked over a batch's texts joined by "\n", which is never escaped.
_ESCAPED_CHARACTER = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPE_LOOKALIKE = re.compile(r"_x[0-9a-fA-F]{4}_")


@lru_cache(maxsize=_DAY_CACHE_SIZE)
def _excel_day(text: str) -> int | None:
    return xlsx_cells.excel_day(text)


def integer_column(letter: str, numbers: Sequence[str], values: Sequence[Any]) -> list[str]:
    """int2 and int4: always exact in Excel."""
    return [
        "" if value is None else f'<c r="{letter}{number}"><v>{value}</v></c>'
        for number, value in zip(numbers, values, strict=True)
    ]


def bigint_column(letter: str, numbers: Sequence[str], values: Sequence[Any]) -> list[str]:
    limit = EXACT_INTEGER_LIMIT
    return [
        ""
        if value is None
        else f'<c r="{letter}{number}"><v>{value}</v></c>'
        if -limit <= value <= limit
        else xlsx_cells.integer_cell(letter + number, value)
        for number, value in zip(numbers, values, strict=True)
    ]


def float_column(letter: str, numbers: Sequence[str], values: Sequence[Any]) -> list[str]:
    # value - value is 0.0 for every finite float and NaN for NaN and ±Infinity.
    return [
        ""
        if value is None
        else f'<c r="{letter}{number}"><v>{value:.16G}</v></c>'
        if value - value == 0
        else xlsx_cells.float_cell(letter + number, value)
        for number, value in zip(numbers, values, strict=True)
    ]


def numeric_column(letter: str, numbers: Sequence[str], texts: Sequence[Any]) -> list[str]:
    """numeric arrives as PostgreSQL's text; float() reads NaN and ±Infinity too."""
    return float_column(letter, numbers, [None if text is None else float(text) for text in texts])


def boolean_column(letter: str, numbers: Sequence[str], values: Sequence[Any]) -> list[str]:
    return [
        ""
        if value is None
        else f'<c r="{letter}{number}" t="b"><v>1</v></c>'
        if value
        else f'<c r="{letter}{number}" t="b"><v>0</v></c>'
        for number, value in zip(numbers, values, strict=True)
    ]


def date_column(letter: str, numbers: Sequence[str], texts: Sequence[Any]) -> list[str]:
    """Day numbers from a small cache: a batch holds few distinct dates."""
    days = [None if text is None else _excel_day(text) for text in texts]
    return [
        ""
        if text is None
        else f'<c r="{letter}{number}" s="{DATE_STYLE}"><v>{day}</v></c>'
        if day is not None
        else xlsx_cells.text_cell(letter + number, text)
        for number, text, day in zip(numbers, texts, days, strict=True)
    ]


def timestamp_column(letter: str, numbers: Sequence[str], texts: Sequence[Any]) -> list[str]:
    """`YYYY-MM-DD HH:MM:SS[±offset]` in line, with the arithmetic of `xlsx_cells.excel_time`;
    fractional seconds, BC, infinity and years past 9999 by cell."""
    days = [None if text is None or text[10:11] != " " else _excel_day(text[:10]) for text in texts]
    clock, seconds = _CLOCK_SECONDS, _SECONDS
    return [
        ""
        if text is None
        else f'<c r="{letter}{number}" s="{TIMESTAMP_STYLE}"><v>'
        f"{day + (clock[text[11:16]] + seconds[text[17:19]]) / 86400:.16G}</v></c>"
        if day is not None and text[19:20] in _AFTER_WHOLE_SECONDS and text[-1] != "C"
        else xlsx_cells.timestamp_cell(letter + number, text)
        for number, text, day in zip(numbers, texts, days, strict=True)
    ]


def plain_text_column(
    letter: str, numbers: Sequence[str], texts: Sequence[Any]
) -> list[str] | None:
    """Texts that need no escaping, no preserved white space and no cutting, in line;
    None if any text of the column does (the caller then goes cell by cell).

    The checks run over the whole column in C: a regular expression that alternates at every
    character costs more than the cells it would spare."""
    present = [text for text in texts if text is not None]
    if present:
        if max(map(len, present)) > MAX_CELL_TEXT // 2:
            return None
        if list(map(str.strip, present)) != present:  # white space at either end
            return None
        joined = "\n".join(present)
        if _ESCAPED_CHARACTER.search(joined) or (
            "_x" in joined and _ESCAPE_LOOKALIKE.search(joined)
        ):
            return None
    return [
        "" if text is None else f'<c r="{letter}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
        for number, text in zip(numbers, texts, strict=True)
    ]


TYPED_COLUMNS: dict[str, ColumnRenderer] = {
    "int2": integer_column,
    "int4": integer_column,
    "int8": bigint_column,
    "float4": float_column,
    "float8": float_column,
    "numeric": numeric_column,
    "bool": boolean_column,
    "date": date_column,
    "timestamp": timestamp_column,
    "timestamptz": timestamp_column,
}
