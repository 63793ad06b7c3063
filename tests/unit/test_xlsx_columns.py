"""Whole XLSX columns give, cell for cell, exactly what the one-cell forms give."""

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.runner.exporters import xlsx_cells, xlsx_columns
from services.runner.exporters.xlsx_book import XlsxBook
from services.runner.exporters.xlsx_cells import MAX_CELL_TEXT

CellForm = Callable[[str, Any], str]
LIMIT = 2**53
COLUMNS: list[tuple[str, CellForm, list[Any]]] = [
    ("int4", xlsx_cells.number_cell, [0, 1, -1, 2**31 - 1, -(2**31), None]),
    ("int2", xlsx_cells.number_cell, [-32768, 32767, None]),
    ("int8", xlsx_cells.integer_cell, [LIMIT, -LIMIT, LIMIT + 1, -LIMIT - 1, 2**63 - 1, None, 7]),
    (
        "float8",
        xlsx_cells.float_cell,
        [0.1 + 0.2, -0.0, 1e300, 5e-324, math.nan, math.inf, -math.inf, None, 125.0, 1 / 3],
    ),
    ("float4", xlsx_cells.float_cell, [0.10000000149011612, 3.4028234663852886e38, None]),
    (
        "numeric",
        xlsx_cells.numeric_cell,
        [
            "2.50",
            "0",
            "-0.001",
            "123456789012345678901234567890.123456789",
            "NaN",
            "Infinity",
            "-Infinity",
            "1e-7",
            None,
        ],
    ),
    ("bool", xlsx_cells.boolean_cell, [True, False, None]),
    (
        "date",
        xlsx_cells.date_cell,
        [
            "2024-01-02",
            "1900-01-01",
            "1900-02-28",
            "1900-03-01",
            "1899-12-31",
            "9999-12-31",
            "infinity",
            "-infinity",
            "0044-03-15 BC",
            "2000-01-01 BC",
            "12345-01-01",
            None,
        ],
    ),
    (
        "timestamptz",
        xlsx_cells.timestamp_cell,
        [
            "2024-01-01 17:45:00+05:45",
            "2024-01-01 05:45:17+05:45",
            "2024-06-30 23:59:59-03",
            "1900-02-28 12:00:00+00",
            "1900-03-01 00:00:00+00",
            "1899-12-31 23:59:59+00",
            "1883-11-18 11:59:59-07:52:58",
            "2024-01-01 00:00:00.5+01",
            "2024-01-01 10:30:05.123456+00",
            "2000-01-01 12:00:00+00 BC",
            "0044-03-15 12:00:00+00 BC",
            "infinity",
            "-infinity",
            "12345-01-01 00:00:00+00",
            None,
        ],
    ),
    (
        "timestamp",
        xlsx_cells.timestamp_cell,
        [
            "2024-01-15 10:30:05",
            "2024-01-15 10:30:05.000001",
            "1900-01-01 12:00:00",
            "9999-12-31 23:59:59.999999",
            "2000-01-01 00:00:00 BC",
            "infinity",
            None,
        ],
    ),
]


def _numbers(count: int, first: int = 2) -> list[str]:
    return [str(number) for number in range(first, first + count)]


def _by_cell(form: CellForm, letter: str, values: Sequence[Any]) -> list[str]:
    return [
        "" if value is None else form(f"{letter}{number}", value)
        for number, value in zip(_numbers(len(values)), values, strict=True)
    ]


@pytest.mark.parametrize(("kind", "form", "values"), COLUMNS, ids=[kind for kind, _, _ in COLUMNS])
def test_each_typed_column_has_the_bytes_of_its_cells(
    kind: str, form: CellForm, values: list[Any]
) -> None:
    render = xlsx_columns.TYPED_COLUMNS[kind]
    assert render("AB", _numbers(len(values)), values) == _by_cell(form, "AB", values)


@pytest.mark.parametrize(
    "texts",
    [
        ["plain", None, 'say "hi", 1', "line\nbreak", "Grüße 日本 🎉", "", "'=1+1"],
        [None, None],
        [],
    ],
)
def test_plain_texts_are_written_in_line(texts: list[str | None]) -> None:
    assert xlsx_columns.plain_text_column("C", _numbers(len(texts)), texts) == _by_cell(
        xlsx_cells.text_cell, "C", texts
    )


@pytest.mark.parametrize(
    "awkward",
    [
        "a & b",
        "<tag>",
        "x > y",
        "bell\x07",
        "nul\x00",
        "carriage\rreturn",
        "_x0041_",
        "\ufffe",
        " leading",
        "trailing ",
        "\ttab",
        "line\n",
        "\u00a0nbsp",
        "x" * (MAX_CELL_TEXT // 2 + 1),
    ],
)
def test_a_text_that_needs_care_sends_its_column_cell_by_cell(awkward: str) -> None:
    texts = ["plain", awkward, None]
    assert xlsx_columns.plain_text_column("C", _numbers(3), texts) is None


@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=30))
def test_text_columns_have_the_bytes_of_their_cells(
    tmp_path_factory: Any, texts: list[Any]
) -> None:
    book = XlsxBook(tmp_path_factory.mktemp("book") / "b.xlsx", ["t"], ["text"])
    try:
        cells = book._text_column("D", _numbers(len(texts)), texts)
    finally:
        book.discard()
    assert cells == _by_cell(xlsx_cells.text_cell, "D", texts)


def test_a_long_text_is_cut_and_counted_as_before(tmp_path: Path) -> None:
    book = XlsxBook(tmp_path / "b.xlsx", ["t"], ["text"])
    book.write_rows([("x" * (MAX_CELL_TEXT + 5),), ("short",)])
    book.close()
    notes = book.notes()
    assert notes is not None
    assert "1 cell(s) longer than Excel's 32,767 characters" in notes


@given(
    st.lists(
        st.tuples(
            st.datetimes(),
            st.sampled_from(["", "+00", "+05:45", "-03", "-07:52:58"]),
            st.booleans(),
        ),
        max_size=20,
    )
)
def test_timestamp_columns_have_the_bytes_of_their_cells(
    moments: list[tuple[Any, str, bool]],
) -> None:
    texts = [
        moment.isoformat(" ", "microseconds" if fraction else "seconds") + offset
        for moment, offset, fraction in moments
    ]
    render = xlsx_columns.TYPED_COLUMNS["timestamptz"]
    assert render("E", _numbers(len(texts)), texts) == _by_cell(
        xlsx_cells.timestamp_cell, "E", texts
    )


def test_a_value_that_is_not_text_yet_is_written_as_its_str(tmp_path: Path) -> None:
    values: list[Any] = ["plain", 42, None, b"raw"]
    book = XlsxBook(tmp_path / "b.xlsx", ["t"], ["text"])
    try:
        cells = book._text_column("F", _numbers(len(values)), values)
    finally:
        book.discard()
    expected = [None if value is None else str(value) for value in values]
    assert cells == _by_cell(xlsx_cells.text_cell, "F", expected)
