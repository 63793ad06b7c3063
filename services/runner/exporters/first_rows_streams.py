"""Reads the first rows back from the bytes the COPY engine streams: PostgreSQL's CSV (header
first; quoted values may hold commas, quotes and line breaks; an unquoted empty field is NULL)
and `row_to_json` lines. Only the beginning is read: once the rows are kept, chunks pass by.
"""

import json
import re
from typing import Any

from services.runner.exporters.first_rows import MAX_VALUE_CHARS, FirstRows, KeptValue

_QUOTE = ord('"')
_LINE_FEED = ord("\n")
_UNQUOTED_END = re.compile(rb"[,\n]")
# Bytes kept of one field: enough for MAX_VALUE_CHARS characters of UTF-8 and the cut to show.
MAX_FIELD_BYTES = 4 * MAX_VALUE_CHARS + 4
MAX_EXACT_INT_DIGITS = 18

_FIELD_START, _UNQUOTED, _QUOTED, _QUOTE_IN_QUOTED = range(4)


class CsvFirstRows:
    """Feeds the records of a CSV byte stream, header first, to `rows` while it wants more.

    A field's bytes beyond MAX_FIELD_BYTES are skipped, not held, so a huge value costs no
    memory; scanning uses bytes.find and a regex, so it stays in C.
    """

    def __init__(self, rows: FirstRows) -> None:
        self._rows = rows
        self._state = _FIELD_START
        self._quoted = False
        self._field = bytearray()
        self._field_cut = False
        self._record: list[str | None] = []
        self._header_read = False

    def feed(self, chunk: bytes) -> None:
        position, end = 0, len(chunk)
        while position < end and self._rows.wants_more:
            position = self._step(chunk, position)

    def _step(self, data: bytes, position: int) -> int:
        state = self._state
        if state == _FIELD_START:
            self._quoted = data[position] == _QUOTE
            self._state = _QUOTED if self._quoted else _UNQUOTED
            return position + 1 if self._quoted else position
        if state == _UNQUOTED:
            match = _UNQUOTED_END.search(data, position)
            if match is None:
                self._append(data[position:])
                return len(data)
            self._append(data[position : match.start()])
            self._end_field(match.group() == b"\n")
            return match.end()
        if state == _QUOTED:
            quote = data.find(b'"', position)
            if quote < 0:
                self._append(data[position:])
                return len(data)
            self._append(data[position:quote])
            self._state = _QUOTE_IN_QUOTED
            return quote + 1
        # A quote inside a quoted field: doubled, it is a quote; else the field ended.
        if data[position] == _QUOTE:
            self._append(b'"')
            self._state = _QUOTED
        else:
            self._end_field(data[position] == _LINE_FEED)
        return position + 1

    def _append(self, data: bytes) -> None:
        room = MAX_FIELD_BYTES - len(self._field)
        if len(data) > room:
            self._field_cut = True
            data = data[: max(room, 0)]
        self._field += data

    def _end_field(self, ends_record: bool) -> None:
        value = None
        if self._quoted or self._field:
            errors = "ignore" if self._field_cut else "replace"  # a cut may split a character
            # A cut field still holds over MAX_VALUE_CHARS characters: FirstRows marks the cut.
            value = self._field.decode("utf-8", errors)
        self._record.append(value)
        self._field = bytearray()
        self._field_cut = False
        self._state = _FIELD_START
        if ends_record:
            record, self._record = self._record, []
            if self._header_read:
                self._rows.add(record)
            else:
                self._header_read = True
                self._rows.set_columns([name or "" for name in record])


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its (name, value) pairs: duplicate names and their order kept."""


class _NumberText(str):
    """A JSON number kept as the text PostgreSQL wrote (a fraction, an exponent, many digits)."""

    __slots__ = ()


def json_row(text: str | bytes) -> tuple[list[str], list[KeptValue]]:
    """One `row_to_json` object as (column names, values), in the query's column order.

    Numbers with a fraction or exponent, or over 18 digits, stay the text PostgreSQL wrote (no
    rounding, no limit on digits); nested arrays and objects become their compact JSON text.
    """
    pairs: _Pairs = json.loads(
        text, object_pairs_hook=_Pairs, parse_float=_NumberText, parse_int=_integer
    )
    names = [name for name, _ in pairs]
    return names, [_compact(value) if isinstance(value, list) else value for _, value in pairs]


def _integer(text: str) -> int | str:
    """A numeric can have far more digits than Python reads as an int (4,300): those stay text."""
    return int(text) if len(text) <= MAX_EXACT_INT_DIGITS else _NumberText(text)


def _compact(value: Any) -> str:
    """A parsed JSON value written out again, numbers exactly as they were read."""
    if isinstance(value, _NumberText):
        return str(value)
    if isinstance(value, _Pairs):
        members = (f"{_compact(name)}:{_compact(item)}" for name, item in value)
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_compact, value)) + "]"
    return json.dumps(value, ensure_ascii=False)


def add_json_rows(rows: FirstRows, lines: list[str] | list[bytes]) -> None:
    """Keeps rows from whole `row_to_json` lines while `rows` wants more."""
    for line in lines:
        if not rows.wants_more:
            return
        names, values = json_row(line)
        rows.set_columns(names)
        rows.add(values)


def add_json_text(rows: FirstRows, text: bytes) -> None:
    """Whole unescaped COPY lines (services.runner.exporters.json_text.CopyTextLines)."""
    if rows.wants_more and text:
        add_json_rows(rows, text.splitlines())
