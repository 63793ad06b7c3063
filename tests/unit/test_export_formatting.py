"""The pure core of the export engines: PostgreSQL's CSV quoting, JSON framing, names, notes."""

import base64
import hashlib
import json
import math
from datetime import datetime

import pytest

from services.api.run_views import integrity_headers
from services.runner.exporters.csv_text import csv_header, csv_rows, quote_field
from services.runner.exporters.json_text import (
    CopyTextLines,
    JsonFraming,
    json_lines_text,
    unescape_copy_text,
)
from services.runner.exporters.selector import file_extension
from services.runner.exporters.xlsx_book import excel_moment, special_float_text, workbook_notes
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
    ("text", "moment"),
    [
        ("2024-01-15", datetime(2024, 1, 15)),
        ("2024-01-15 10:30:05.123456", datetime(2024, 1, 15, 10, 30, 5, 123456)),
        ("2024-01-15 16:15:05+05:45", datetime(2024, 1, 15, 16, 15, 5)),
        ("1899-12-31", None),
        ("0044-03-15 12:00:00 BC", None),
        ("infinity", None),
        ("-infinity", None),
        ("12345-01-01", None),
    ],
)
def test_excel_gets_a_date_only_where_it_can_hold_one(text: str, moment: datetime | None) -> None:
    assert excel_moment(text) == moment
