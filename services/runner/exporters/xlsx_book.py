"""An XLSX workbook streamed row by row into its zip file, in constant memory, with real cell types.

Numbers, booleans, dates and timestamps become typed cells; every other type is written as
PostgreSQL's text output. What Excel cannot hold is written as text: integers beyond 2^53,
NaN and ±Infinity, dates before 1900, BC or infinite. Dates and timestamps arrive as
PostgreSQL's ISO text (timestamptz already in the session time zone, which Excel cannot
store, so the cell shows that local time). Past Excel's 1,048,576 rows per sheet the rows
continue on a new sheet, with the header repeated.

Each batch of rows becomes SpreadsheetML text at once, column by column (`xlsx_columns`), and
goes straight into the sheet's deflated zip entry (`xlsx_zip`, ISA-L): nothing but the batch
is held. Entries carry a fixed 1980-01-01 time and the package has no creation time, so the
same rows give the same bytes.
"""

import threading
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from services.runner.exporters import xlsx_cells, xlsx_parts
from services.runner.exporters.request import ExportFailed
from services.runner.exporters.xlsx_cells import MAX_CELL_TEXT, text_cell
from services.runner.exporters.xlsx_columns import TYPED_COLUMNS, plain_text_column
from services.runner.exporters.xlsx_zip import EntryTooLarge, StreamedZip

MAX_SHEET_ROWS = 1_048_576
DATA_ROWS_PER_SHEET = MAX_SHEET_ROWS - 1
MAX_COLUMNS = 16_384
# Types kept as Python objects (binary protocol); all others arrive as PostgreSQL's text.
NATIVE_TYPES = frozenset({"int2", "int4", "int8", "float4", "float8", "bool"})
# ISA-L level 1: a slightly smaller file than zlib's level 1, at about a quarter of its CPU
# (docs/export.md); zlib's level 6 cost three times level 1.
ZIP_LEVEL = 1


def column_letters(index: int) -> str:
    """Excel's name of the 0-based column `index`: A ... Z, AA ... XFD."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


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
    """Written from one worker thread at a time; `discard` may come from another."""

    def __init__(
        self,
        path: Path,
        names: Sequence[str],
        types: Sequence[str],
        rows_per_sheet: int = DATA_ROWS_PER_SHEET,
    ) -> None:
        self._zip = StreamedZip(path, ZIP_LEVEL)
        self._names = names
        self._letters = [column_letters(index) for index in range(len(names))]
        self._renderers = [TYPED_COLUMNS.get(kind, self._text_column) for kind in types]
        self._sheet_open = False
        self._rows_per_sheet = rows_per_sheet
        self._sheet_rows = 0
        self._sheet_count = 0
        self._truncated_cells = 0
        self._writing = threading.Lock()  # discard() may come while a batch is being written
        self.row_count = 0

    def write_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        with self._writing:
            try:
                self._write_rows(rows)
            except EntryTooLarge as error:
                raise ExportFailed(
                    f"sheet {self._sheet_count} of the XLSX passed the 2 GiB of XML a zip entry "
                    "holds without ZIP64 (about 2 KB a row at 1,048,575 rows a sheet)"
                ) from error

    def _write_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        start = 0
        while start < len(rows):
            if not self._sheet_open or self._sheet_rows == self._rows_per_sheet:
                self._new_sheet()
            chunk = rows[start : start + self._rows_per_sheet - self._sheet_rows]
            self._zip.write(self._render(chunk).encode())
            self._sheet_rows += len(chunk)
            start += len(chunk)
        self.row_count += len(rows)

    def close(self) -> None:
        if not self._sheet_open:
            self._new_sheet()
        self._end_sheet()
        self._write_part("xl/workbook.xml", xlsx_parts.workbook(self._sheet_count))
        relations = xlsx_parts.workbook_relations(self._sheet_count)
        self._write_part("xl/_rels/workbook.xml.rels", relations)
        self._write_part("[Content_Types].xml", xlsx_parts.content_types(self._sheet_count))
        self._zip.close()

    def discard(self) -> None:
        """Closes the file after a failed export, once any batch being written is done."""
        with self._writing:
            self._zip.discard()

    def notes(self) -> str | None:
        return workbook_notes(
            self.row_count, self._sheet_count, self._rows_per_sheet, self._truncated_cells
        )

    def _render(self, rows: Sequence[Sequence[Any]]) -> str:
        """Column by column, which keeps the per-cell work inside comprehensions."""
        first = self._sheet_rows + 2  # Excel's row number: the header is row 1
        numbers = [str(number) for number in range(first, first + len(rows))]
        columns: list[list[str]] = [[f'<row r="{number}">' for number in numbers]]
        for render, letter, values in zip(
            self._renderers, self._letters, zip(*rows, strict=True), strict=True
        ):
            columns.append(render(letter, numbers, values))
        columns.append(["</row>"] * len(rows))
        return "".join(chain.from_iterable(zip(*columns, strict=True)))

    def _text_column(self, letter: str, numbers: Sequence[str], texts: Sequence[Any]) -> list[str]:
        try:
            cells = plain_text_column(letter, numbers, texts)
        except TypeError:  # a value that is not text yet: written as str() gives it, by cell
            cells = None
        if cells is not None:
            return cells
        return [
            "" if text is None else self._text_cell(letter + number, text)
            for number, text in zip(numbers, texts, strict=True)
        ]

    def _new_sheet(self) -> None:
        if self._sheet_open:
            self._end_sheet()
        self._sheet_count += 1
        if self._sheet_count == 1:
            self._write_part("_rels/.rels", xlsx_parts.ROOT_RELATIONS)
            self._write_part("xl/styles.xml", xlsx_parts.STYLES)
        self._zip.start_entry(xlsx_parts.sheet_path(self._sheet_count))
        self._sheet_open = True
        header = "".join(
            xlsx_cells.header_cell(f"{letter}1", name)
            for letter, name in zip(self._letters, self._names, strict=True)
        )
        start = xlsx_parts.sheet_start(self._sheet_count)
        self._zip.write(f'{start}<row r="1">{header}</row>'.encode())
        self._sheet_rows = 0

    def _end_sheet(self) -> None:
        self._zip.write(xlsx_parts.SHEET_END.encode())
        self._zip.end_entry()
        self._sheet_open = False

    def _text_cell(self, ref: str, value: Any) -> str:
        text = str(value)
        cut = xlsx_cells.fit_to_cell(text)
        if cut is not None:
            self._truncated_cells += 1
            text = cut
        return text_cell(ref, text)

    def _write_part(self, name: str, text: str) -> None:
        self._zip.write_entry(name, text.encode())
