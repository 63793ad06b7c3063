"""An XLSX workbook written row by row in constant memory, with real cell types.

Numbers, booleans, dates and timestamps become typed cells; every other type is written as
PostgreSQL's text output. What Excel cannot hold is written as text: integers beyond 2^53,
NaN and ±Infinity, dates before 1900 and infinite dates. Past Excel's 1,048,576 rows per
sheet the rows continue on a new sheet, with the header repeated.
"""

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

MAX_SHEET_ROWS = 1_048_576
DATA_ROWS_PER_SHEET = MAX_SHEET_ROWS - 1
MAX_COLUMNS = 16_384
MAX_CELL_TEXT = 32_767
EXACT_INTEGER_LIMIT = 2**53
# Types kept as Python objects (binary protocol); all others arrive as PostgreSQL's text.
NATIVE_TYPES = frozenset(
    {
        "int2",
        "int4",
        "int8",
        "float4",
        "float8",
        "numeric",
        "bool",
        "date",
        "timestamp",
        "timestamptz",
    }
)
_SPECIAL_FLOATS = {math.inf: "Infinity", -math.inf: "-Infinity"}
_INFINITE_DATES: dict[date, str] = {
    date.max: "infinity",
    date.min: "-infinity",
    datetime.max: "infinity",
    datetime.min: "-infinity",
}

CellWriter = Callable[[int, int, Any], None]


def special_float_text(value: float) -> str:
    return "NaN" if math.isnan(value) else _SPECIAL_FLOATS[value]


def sheet_notes(row_count: int, truncated_cells: int) -> str | None:
    """What the run's record should tell the user about this workbook, if anything."""
    notes = []
    if row_count > DATA_ROWS_PER_SHEET:
        sheets = math.ceil(row_count / DATA_ROWS_PER_SHEET)
        notes.append(
            f"{row_count:,} rows exceed Excel's {MAX_SHEET_ROWS:,} rows per sheet: written on "
            f"{sheets} sheets of up to {DATA_ROWS_PER_SHEET:,} rows, each with the header row"
        )
    if truncated_cells:
        notes.append(
            f"{truncated_cells:,} cell(s) longer than Excel's {MAX_CELL_TEXT:,} characters "
            "were cut to that length"
        )
    return "; ".join(notes) or None


class XlsxBook:
    """Not thread-safe; the runner drives one from one worker thread at a time."""

    def __init__(self, path: Path, names: Sequence[str], types: Sequence[str], zone: tzinfo):
        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self._bold = self._book.add_format({"bold": True})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._timestamp = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._names = names
        self._zone = zone
        self._writers = [self._writer_for(kind) for kind in types]
        self._sheet: Any = None
        self._row = MAX_SHEET_ROWS
        self.row_count = 0
        self.truncated_cells = 0

    def _writer_for(self, kind: str) -> CellWriter:
        writers: dict[str, CellWriter] = {
            "int8": self._integer,
            "float4": self._float,
            "float8": self._float,
            "numeric": self._decimal,
            "int2": self._number,
            "int4": self._number,
            "bool": self._boolean,
            "date": lambda row, col, value: self._moment(row, col, value, self._date),
            "timestamp": lambda row, col, value: self._moment(row, col, value, self._timestamp),
            "timestamptz": self._aware_moment,
        }
        return writers.get(kind, self._text)

    def write_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        writers = self._writers
        for values in rows:
            if self._row == MAX_SHEET_ROWS:
                self._new_sheet()
            row = self._row
            for col, value in enumerate(values):
                if value is not None:
                    writers[col](row, col, value)
            self._row += 1
        self.row_count += len(rows)

    def close(self) -> None:
        if self._sheet is None:
            self._new_sheet()
        self._book.close()

    def _new_sheet(self) -> None:
        self._sheet = self._book.add_worksheet()
        self._sheet.freeze_panes(1, 0)
        for col, name in enumerate(self._names):
            self._sheet.write_string(0, col, name, self._bold)
        self._row = 1

    def _text(self, row: int, col: int, value: Any) -> None:
        if self._sheet.write_string(row, col, str(value)) == -2:
            self.truncated_cells += 1

    def _number(self, row: int, col: int, value: int) -> None:
        self._sheet.write_number(row, col, value)

    def _boolean(self, row: int, col: int, value: bool) -> None:
        self._sheet.write_boolean(row, col, value)

    def _integer(self, row: int, col: int, value: int) -> None:
        if -EXACT_INTEGER_LIMIT <= value <= EXACT_INTEGER_LIMIT:
            self._sheet.write_number(row, col, value)
        else:
            self._sheet.write_string(row, col, str(value))

    def _float(self, row: int, col: int, value: float) -> None:
        if math.isfinite(value):
            self._sheet.write_number(row, col, value)
        else:
            self._sheet.write_string(row, col, special_float_text(value))

    def _decimal(self, row: int, col: int, value: Decimal) -> None:
        if value.is_finite():
            self._sheet.write_number(row, col, float(value))
        else:
            self._sheet.write_string(row, col, special_float_text(float(value)))

    def _moment(self, row: int, col: int, value: date, style: Any) -> None:
        if value in _INFINITE_DATES:
            self._sheet.write_string(row, col, _INFINITE_DATES[value])
        elif value.year < 1900:
            self._sheet.write_string(
                row,
                col,
                value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat(),
            )
        else:
            self._sheet.write_datetime(row, col, value, style)

    def _aware_moment(self, row: int, col: int, value: datetime) -> None:
        naive = value.replace(tzinfo=None)
        if naive in _INFINITE_DATES:
            self._sheet.write_string(row, col, _INFINITE_DATES[naive])
        else:
            local = value.astimezone(self._zone).replace(tzinfo=None)
            self._moment(row, col, local, self._timestamp)
