"""An XLSX workbook written row by row in constant memory, with real cell types.

Numbers, booleans, dates and timestamps become typed cells; every other type is written as
PostgreSQL's text output. What Excel cannot hold is written as text: integers beyond 2^53,
NaN and ±Infinity, dates before 1900, BC or infinite. Dates and timestamps arrive as
PostgreSQL's ISO text (timestamptz already in the session time zone, which Excel cannot
store, so the cell shows that local time). Past Excel's 1,048,576 rows per sheet the rows
continue on a new sheet, with the header repeated.
"""

import math
from collections.abc import Callable, Sequence
from datetime import datetime
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
NATIVE_TYPES = frozenset({"int2", "int4", "int8", "float4", "float8", "numeric", "bool"})
EARLIEST_EXCEL_YEAR = 1900
_SPECIAL_FLOATS = {math.inf: "Infinity", -math.inf: "-Infinity"}
CellWriter = Callable[[int, int, Any], None]


def excel_moment(text: str) -> datetime | None:
    """PostgreSQL's ISO date or timestamp text as a naive datetime, None if Excel cannot hold it.

    The offset of a timestamptz is dropped: the text is already in the session's time zone.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # infinity, BC, or a year past 9999
        return None
    if moment.year < EARLIEST_EXCEL_YEAR:
        return None
    return moment.replace(tzinfo=None)


def special_float_text(value: float) -> str:
    return "NaN" if math.isnan(value) else _SPECIAL_FLOATS[value]


def workbook_notes(
    row_count: int, sheet_count: int, rows_per_sheet: int, truncated_cells: int
) -> str | None:
    """What the run's record should tell the user about this workbook, if anything."""
    notes = []
    if sheet_count > 1:
        notes.append(
            f"{row_count:,} rows exceed the {rows_per_sheet:,} data rows an Excel sheet holds: "
            f"written on {sheet_count} sheets, each starting with the header row"
        )
    if truncated_cells:
        notes.append(
            f"{truncated_cells:,} cell(s) longer than Excel's {MAX_CELL_TEXT:,} characters "
            "were cut to that length"
        )
    return "; ".join(notes) or None


class XlsxBook:
    """Not thread-safe; the runner drives one from one worker thread at a time."""

    def __init__(
        self,
        path: Path,
        names: Sequence[str],
        types: Sequence[str],
        rows_per_sheet: int = DATA_ROWS_PER_SHEET,
    ) -> None:
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
        self._writers = [self._writer_for(kind) for kind in types]
        self._sheet: Any = None
        self._rows_per_sheet = rows_per_sheet
        self._row = rows_per_sheet + 1
        self._sheet_count = 0
        self._truncated_cells = 0
        self.row_count = 0

    def _writer_for(self, kind: str) -> CellWriter:
        writers: dict[str, CellWriter] = {
            "int8": self._integer,
            "float4": self._float,
            "float8": self._float,
            "numeric": self._decimal,
            "int2": self._number,
            "int4": self._number,
            "bool": self._boolean,
            "date": self._day,
            "timestamp": self._moment,
            "timestamptz": self._moment,
        }
        return writers.get(kind, self._text)

    def write_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        writers = self._writers
        for values in rows:
            if self._row > self._rows_per_sheet:
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

    def notes(self) -> str | None:
        return workbook_notes(
            self.row_count, self._sheet_count, self._rows_per_sheet, self._truncated_cells
        )

    def _new_sheet(self) -> None:
        self._sheet = self._book.add_worksheet()
        self._sheet_count += 1
        self._sheet.freeze_panes(1, 0)
        for col, name in enumerate(self._names):
            self._sheet.write_string(0, col, name, self._bold)
        self._row = 1

    def _text(self, row: int, col: int, value: Any) -> None:
        if self._sheet.write_string(row, col, str(value)) == -2:
            self._truncated_cells += 1

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

    def _day(self, row: int, col: int, value: str) -> None:
        self._datetime(row, col, value, self._date)

    def _moment(self, row: int, col: int, value: str) -> None:
        self._datetime(row, col, value, self._timestamp)

    def _datetime(self, row: int, col: int, value: str, style: Any) -> None:
        moment = excel_moment(value)
        if moment is None:
            self._sheet.write_string(row, col, value)
        else:
            self._sheet.write_datetime(row, col, moment, style)
