"""The first rows read back from the bytes an export streams (CSV from COPY, row_to_json
lines), and the bounds they are kept within: tables of cases, fed in every chunking."""

import json

import pytest

from services.runner.exporters.first_rows import (
    CUT_MARKER,
    MAX_KEPT_CHARS,
    MAX_KEPT_COLUMNS,
    MAX_VALUE_CHARS,
    FirstRows,
    native_text,
)
from services.runner.exporters.first_rows_streams import CsvFirstRows, add_json_text, json_row

AWKWARD_CSV = (
    b'id,note,"odd, name"\n'
    b'1,"<script>alert(1)</script>",plain\n'
    b'2,"two\nlines, and ""quotes""",\n'
    b'3,"",caf\xc3\xa9\n'
    b"4,last,x\n"
)


def _csv_rows(data: bytes, wanted: int, chunk: int) -> FirstRows:
    rows = FirstRows(wanted)
    reader = CsvFirstRows(rows)
    for start in range(0, len(data), chunk):
        reader.feed(data[start : start + chunk])
    return rows


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1000])
def test_csv_rows_keep_quoted_line_breaks_quotes_nulls_and_empty_strings(chunk: int) -> None:
    rows = _csv_rows(AWKWARD_CSV, 3, chunk)
    assert rows.kept() == {
        "columns": ["id", "note", "odd, name"],
        "rows": [
            ["1", "<script>alert(1)</script>", "plain"],
            ["2", 'two\nlines, and "quotes"', None],
            ["3", "", "café"],
        ],
        "cut": False,
    }


def test_csv_rows_stop_being_read_once_kept() -> None:
    rows = _csv_rows(AWKWARD_CSV + b'5,not even csv"\n', 1, 5)
    assert rows.kept() == {
        "columns": ["id", "note", "odd, name"],
        "rows": [["1", "<script>alert(1)</script>", "plain"]],
        "cut": False,
    }


def test_a_csv_with_only_its_header_keeps_columns_and_no_rows() -> None:
    assert _csv_rows(b"a,b\n", 5, 2).kept() == {"columns": ["a", "b"], "rows": [], "cut": False}


@pytest.mark.parametrize(("chunk", "length"), [(1, 5_000), (4096, 3_000_000), (10**7, 3_000_000)])
def test_a_long_csv_value_is_cut_with_a_marker_and_never_held_whole(
    chunk: int, length: int
) -> None:
    huge = "é" * length
    data = f'v,w\n"{huge}",1\n'.encode()
    rows = _csv_rows(data, 2, chunk)
    kept = rows.kept()
    assert kept is not None
    assert kept["rows"] == [["é" * MAX_VALUE_CHARS + CUT_MARKER, "1"]]
    assert kept["cut"] is True


def test_rows_are_kept_only_while_the_total_stays_within_the_cap() -> None:
    value = "x" * MAX_VALUE_CHARS
    data = b"a\n" + b"".join(f"{value}\n".encode() for _ in range(100))
    kept = _csv_rows(data, 100, 65536).kept()
    assert kept is not None
    assert len(kept["rows"]) == MAX_KEPT_CHARS // MAX_VALUE_CHARS - 1
    assert kept["cut"] is True
    assert len(json.dumps(kept)) < 2 * MAX_KEPT_CHARS


def test_the_first_row_is_kept_whatever_its_size_and_columns_past_the_cap_are_dropped() -> None:
    names = [f"c{index}" for index in range(MAX_KEPT_COLUMNS + 10)]
    rows = FirstRows(1)
    rows.set_columns(names)
    rows.add(["y" * 5000] * len(names))
    kept = rows.kept()
    assert kept is not None
    assert kept["columns"] == names[:MAX_KEPT_COLUMNS]
    assert kept["rows"] == [["y" * MAX_VALUE_CHARS + CUT_MARKER] * MAX_KEPT_COLUMNS]
    assert kept["cut"] is True


def test_no_rows_wanted_keeps_nothing() -> None:
    rows = _csv_rows(AWKWARD_CSV, 0, 4)
    assert (rows.wants_more, rows.kept()) == (False, None)


def test_json_rows_keep_column_order_exact_numbers_and_nested_values_as_text() -> None:
    line = (
        '{"id":1,"price":12.50,"big":1e400,"ok":true,"none":null,'
        '"tags":["a","b"],"doc":{"k":{},"n":[1.10,null,"\\u00fc"]},"id":2}'
    )
    names, values = json_row(line)
    assert names == ["id", "price", "big", "ok", "none", "tags", "doc", "id"]
    assert values == [
        1,
        "12.50",
        "1e400",
        True,
        None,
        '["a","b"]',
        '{"k":{},"n":[1.10,null,"ü"]}',
        2,
    ]


def test_a_numeric_with_more_digits_than_python_reads_stays_text() -> None:
    digits = "9" * 10_000
    assert json_row(f'{{"n":{digits},"m":-12}}') == (["n", "m"], [digits, -12])


def test_json_lines_from_copy_are_kept_up_to_the_rows_wanted() -> None:
    rows = FirstRows(2)
    add_json_text(rows, b'{"a":"x\\u0000y"}\n{"a":"<b>"}\n{"a":"third"}\n')
    assert rows.kept() == {"columns": ["a"], "rows": [["x\ufffdy"], ["<b>"]], "cut": False}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "t"),
        (False, "f"),
        (42, "42"),
        (1.5, "1.5"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        (float("nan"), "NaN"),
        ("text", "text"),
        (None, None),
    ],
)
def test_xlsx_native_values_are_kept_in_postgresqls_text_form(value: object, text: object) -> None:
    assert native_text(value) == text
