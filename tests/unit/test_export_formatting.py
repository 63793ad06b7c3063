"""The pure core of the export engines: PostgreSQL's CSV quoting, JSON framing, names, notes."""

import base64
import hashlib
import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from services.api.run_views import integrity_headers
from services.runner.exporters.csv_text import csv_header, csv_rows, quote_field
from services.runner.exporters.json_text import (
    CopyTextLines,
    JsonFraming,
    json_lines_text,
    unescape_copy_text,
)
from services.runner.exporters.xlsx_book import column_letters, workbook_notes
from services.runner.exporters.xlsx_cells import (
    MAX_CELL_TEXT,
    date_cell,
    excel_day,
    excel_text,
    excel_time,
    fit_to_cell,
    float_cell,
    integer_cell,
    numeric_cell,
    special_float_text,
    text_cell,
    timestamp_cell,
)
from shared.export_formats import file_extension
from shared.models import Compression, OutputFormat
from shared.output_files import output_media_type as download_media_type


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (None, ""),
        ("", '""'),
        ("plain", "plain"),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("line\nbreak", '"line\nbreak"'),
        ("carriage\rreturn", '"carriage\rreturn"'),
        (" leading and trailing ", " leading and trailing "),
        ("tab\there", "tab\there"),
        ("\\N", "\\N"),
        ("\\.", "\\."),
        ("Grüße 日本語 🎉", "Grüße 日本語 🎉"),
    ],
)
def test_field_is_quoted_only_where_postgresql_quotes_it(value: str | None, field: str) -> None:
    assert quote_field(value) == field


def test_end_of_data_marker_is_quoted_only_in_a_one_column_result() -> None:
    assert csv_rows([("\\.",), (None,), ("",)]) == '"\\."\n\n""\n'
    assert csv_rows([("\\.", "x")]) == "\\.,x\n"


@pytest.mark.parametrize(
    ("rows", "text"),
    [
        ([], ""),
        ([("1", "a"), ("2", "b")], "1,a\n2,b\n"),
        ([("1", None), (None, "")], '1,\n,""\n'),
        ([("x,y", "1"), ("z", "2")], '"x,y",1\nz,2\n'),
        ([(None,), (None,)], "\n\n"),
        ([("{a,b}", '{"k": "v"}')], '"{a,b}","{""k"": ""v""}"\n'),
    ],
)
def test_rows_become_csv_lines_ending_in_lf(rows: list[tuple[str | None, ...]], text: str) -> None:
    assert csv_rows(rows) == text


def test_column_quoting_matches_field_quoting_for_every_mix() -> None:
    values = [None, "", "a", "b,c", 'q"', "n\n", "r\r", "\\.", "ü"]
    rows = [(left, right) for left in values for right in values]
    expected = "".join(f"{quote_field(left)},{quote_field(right)}\n" for left, right in rows)
    assert csv_rows(rows) == expected


def test_header_uses_the_same_rules() -> None:
    assert csv_header(["id", "a,b", 'say "x"']) == 'id,"a,b","say ""x"""\n'


@pytest.mark.parametrize(
    ("copy_text", "json_text"),
    [
        (b'{"a":1}\n', b'{"a":1}\n'),
        (b'{"s":"back\\\\\\\\slash"}\n', b'{"s":"back\\\\slash"}\n'),
        (b'{"s":"q\\\\"x"}\n', b'{"s":"q\\"x"}\n'),
        (b'{"j":{\\n"k": 1}}\n', b'{"j":{ "k": 1}}\n'),
        (b'{"j":\\t1}\n', b'{"j":\t1}\n'),
    ],
)
def test_copy_text_escapes_are_undone(copy_text: bytes, json_text: bytes) -> None:
    assert unescape_copy_text(copy_text) == json_text


def test_copy_text_is_cut_into_whole_lines_across_chunks() -> None:
    lines = CopyTextLines()
    assert lines.feed(b'{"a":"x\\\\') == b""
    assert lines.feed(b'"y"}\n{"b"') == b'{"a":"x\\"y"}\n'
    assert lines.feed(b":2}\n") == b'{"b":2}\n'
    lines.finish()


def test_copy_text_ending_mid_row_is_an_error() -> None:
    lines = CopyTextLines()
    lines.feed(b'{"a"')
    with pytest.raises(ValueError, match="middle of a row"):
        lines.finish()


@pytest.mark.parametrize(
    ("chunks", "as_array", "document"),
    [
        ([], True, b"[\n]\n"),
        ([], False, b""),
        ([b'{"a":1}\n{"a":2}\n', b'{"a":3}\n'], True, b'[\n{"a":1},\n{"a":2},\n{"a":3}\n]\n'),
        ([b'{"a":1}\n', b"", b'{"a":2}\n'], False, b'{"a":1}\n{"a":2}\n'),
    ],
)
def test_json_framing_streams_an_array_or_lines(
    chunks: list[bytes], as_array: bool, document: bytes
) -> None:
    framing = JsonFraming(as_array)
    output = framing.start() + b"".join(map(framing.lines, chunks)) + framing.end()
    assert output == document
    if as_array:
        assert isinstance(json.loads(output), list)


def test_cursor_json_rows_stay_one_per_line() -> None:
    assert json_lines_text(['{"a":1}', '{"j":{\n"k":\r\n1}}']) == '{"a":1}\n{"j":{ "k":  1}}\n'


@pytest.mark.parametrize(
    ("output_format", "compression", "extension"),
    [
        (OutputFormat.CSV, Compression.NONE, "csv"),
        (OutputFormat.CSV, Compression.GZIP, "csv.gz"),
        (OutputFormat.JSON, Compression.GZIP, "json.gz"),
        (OutputFormat.JSONL, Compression.GZIP, "jsonl.gz"),
        (OutputFormat.JSONL, Compression.NONE, "jsonl"),
        (OutputFormat.XLSX, Compression.NONE, "xlsx"),
    ],
)
def test_file_extension_says_format_and_compression(
    output_format: OutputFormat, compression: Compression, extension: str
) -> None:
    assert file_extension(output_format, compression) == extension


@pytest.mark.parametrize(
    ("filename", "media_type"),
    [
        ("r.csv", "text/csv"),
        ("r.csv.gz", "application/gzip"),
        ("r.json", "application/json"),
        ("r.jsonl", "application/x-ndjson"),
        ("r.jsonl.gz", "application/gzip"),
        ("r.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_download_media_type_keeps_compressed_files_compressed(
    filename: str, media_type: str
) -> None:
    assert download_media_type(filename) == media_type


def test_integrity_headers_carry_the_recorded_sha256() -> None:
    digest = hashlib.sha256(b"rows")
    headers = integrity_headers(digest.hexdigest())
    assert headers["ETag"] == f'"{digest.hexdigest()}"'
    assert headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest.digest()).decode()}:"
    assert integrity_headers(None) == {}


@pytest.mark.parametrize(
    ("value", "text"), [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity")]
)
def test_floats_excel_cannot_hold_are_written_as_postgresql_spells_them(
    value: float, text: str
) -> None:
    assert special_float_text(value) == text


def test_workbook_notes_say_when_rows_continue_on_more_sheets() -> None:
    assert workbook_notes(10, 1, 1_048_575, 0) is None
    note = workbook_notes(2_000_000, 2, 1_048_575, 0)
    assert note is not None
    assert "2,000,000 rows" in note
    assert "2 sheets" in note
    truncated = workbook_notes(5, 1, 1_048_575, 3)
    assert truncated is not None
    assert "32,767" in truncated


@pytest.mark.parametrize(
    ("text", "serial"),
    [
        ("2024-01-15", 45306),
        ("2024-01-15 10:30:05.123456", 45306 + (10 * 3600 + 30 * 60 + 5.123456) / 86400),
        ("2024-01-15 16:15:05+05:45", 45306 + (16 * 3600 + 15 * 60 + 5) / 86400),  # local time
        ("1900-02-28 12:00:00", 59.5),
        ("1900-03-01 00:00:00", 61),
        ("1899-12-31", None),
        ("0044-03-15 12:00:00 BC", None),
        ("infinity", None),
        ("-infinity", None),
        ("12345-01-01", None),
    ],
)
def test_excel_gets_a_date_only_where_it_can_hold_one(text: str, serial: float | None) -> None:
    assert excel_time(text) == (None if serial is None else pytest.approx(serial, rel=1e-15))


@pytest.mark.parametrize(
    ("text", "serial"),
    [
        ("1900-01-01", 1),
        ("1900-02-28", 59),
        ("1900-03-01", 61),  # Excel keeps 1900-02-29 (serial 60), a day that never was
        ("2024-01-02", 45293),
        ("9999-12-31", 2958465),
        ("1899-12-31", None),
        ("0044-03-15 BC", None),
        ("infinity", None),
    ],
)
def test_dates_become_excel_day_numbers(text: str, serial: int | None) -> None:
    assert excel_day(text) == serial


@pytest.mark.parametrize(
    ("render", "value", "cell"),
    [
        (date_cell, "2024-01-02", '<c r="B2" s="2"><v>45293</v></c>'),
        (date_cell, "-infinity", '<c r="B2" t="inlineStr"><is><t>-infinity</t></is></c>'),
        (
            timestamp_cell,
            "2024-01-01 17:45:00+05:45",
            '<c r="B2" s="3"><v>45292.73958333334</v></c>',
        ),
        (timestamp_cell, "1900-01-01 12:00:00", '<c r="B2" s="3"><v>1.5</v></c>'),
        (
            timestamp_cell,
            "0044-03-15 12:00:00 BC",
            '<c r="B2" t="inlineStr"><is><t>0044-03-15 12:00:00 BC</t></is></c>',
        ),
        (integer_cell, 2**53, '<c r="B2"><v>9007199254740992</v></c>'),
        (
            integer_cell,
            -(2**53) - 1,
            '<c r="B2" t="inlineStr"><is><t>-9007199254740993</t></is></c>',
        ),
        (float_cell, 0.1 + 0.2, '<c r="B2"><v>0.3</v></c>'),  # 16 significant digits
        (float_cell, -math.inf, '<c r="B2" t="inlineStr"><is><t>-Infinity</t></is></c>'),
        (numeric_cell, "2.50", '<c r="B2"><v>2.5</v></c>'),
        (numeric_cell, "NaN", '<c r="B2" t="inlineStr"><is><t>NaN</t></is></c>'),
        (text_cell, "=1+1", '<c r="B2" t="inlineStr"><is><t>=1+1</t></is></c>'),
        (
            text_cell,
            " padded ",
            '<c r="B2" t="inlineStr"><is><t xml:space="preserve"> padded </t></is></c>',
        ),
    ],
)
def test_each_value_becomes_a_typed_cell(
    render: Callable[[str, Any], str], value: Any, cell: str
) -> None:
    assert render("B2", value) == cell


@pytest.mark.parametrize(
    ("text", "xml"),
    [
        ("plain", "plain"),
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ("bell\x07 and nul\x00", "bell_x0007_ and nul_x0000_"),
        ("tab\tline\n", "tab\tline\n"),  # XML keeps these as they are
        ("carriage\rreturn", "carriage_x000D_return"),  # an XML parser would turn CR into LF
        ("_x0041_ looks escaped", "_x005F_x0041_ looks escaped"),
        ("\ufffe", "_xFFFE_"),
        ('say "hi"', 'say "hi"'),
    ],
)
def test_text_is_escaped_as_excel_escapes_it(text: str, xml: str) -> None:
    assert excel_text(text) == xml


def test_text_longer_than_a_cell_holds_is_cut_at_excels_limit() -> None:
    assert fit_to_cell("x" * MAX_CELL_TEXT) is None
    assert fit_to_cell("x" * (MAX_CELL_TEXT + 1)) == "x" * MAX_CELL_TEXT
    emoji = "🎉" * MAX_CELL_TEXT  # two UTF-16 units each: a pair is never split
    assert fit_to_cell(emoji) == "🎉" * (MAX_CELL_TEXT // 2)


@pytest.mark.parametrize(
    ("index", "letters"),
    [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA"), (16_383, "XFD")],
)
def test_columns_are_named_as_excel_names_them(index: int, letters: str) -> None:
    assert column_letters(index) == letters
