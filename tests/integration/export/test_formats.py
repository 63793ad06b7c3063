"""JSON, JSON Lines, XLSX and gzip: faithful values, streamed files, a checksum on every run."""

import asyncio
import gzip
import hashlib
import json
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.runner.exporters.request import ExportFailed
from services.runner.exporters.selector import CsvEngine
from services.runner.exporters.xlsx_book import XlsxBook
from shared.models import Compression, OutputFormat
from tests.integration.export.conftest import RunExport
from tests.integration.export.xlsx_cells import bold_style, sheets

AWKWARD = "SELECT * FROM export_awkward ORDER BY id"
TEXT_FORMATS = [OutputFormat.CSV, OutputFormat.JSON, OutputFormat.JSONL]


def _exact_json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


async def test_json_array_and_json_lines_hold_the_same_rows_in_order(export: RunExport) -> None:
    array = await export(AWKWARD, OutputFormat.JSON)
    lines = await export(AWKWARD, OutputFormat.JSONL)

    rows = _exact_json(array.path.read_text())
    assert [_exact_json(line) for line in lines.path.read_text().splitlines()] == rows
    assert array.path.name.endswith(".json")
    assert lines.path.name.endswith(".jsonl")
    assert [row["id"] for row in rows] == [1, 2, 3, 4]
    assert array.row_count == lines.row_count == 4


async def test_json_values_are_rendered_faithfully(export: RunExport) -> None:
    result = await export(AWKWARD, OutputFormat.JSONL)
    first, second, third, _ = map(_exact_json, result.path.read_text().splitlines())

    assert list(first)[:4] == ["id", "f4", "f8", "num"]  # column order kept
    assert (first["f4"], first["f8"], first["num"]) == ("NaN", "Infinity", "NaN")
    assert third["num"] == Decimal("123456789012345678901234567890.123456789")
    assert second["num"] == Decimal("-12345678901234567890.123456789012345678901")
    assert third["tstz"] == "2024-03-31T07:15:00.123456+05:45"  # 02:30 Berlin does not exist: 03:30
    assert third["ts"] == "0044-03-15T12:00:00 BC"
    assert first["j"] == {"a": 1, "b": "x\ny"}  # embedded json with a line break inside
    assert first["matrix"] == [[1, 2], [3, None]]
    assert first["texts"] == ["", "NULL", None, "a\\b", 'q"x', " sp "]
    assert first["pair"] == {"a": 1, "b": 'x, "y"'}
    assert second["jb"] == "just a string"


@pytest.mark.parametrize("output_format", [OutputFormat.JSON, OutputFormat.JSONL])
async def test_json_by_cursor_has_the_same_bytes_as_by_copy(
    export: RunExport, output_format: OutputFormat
) -> None:
    for sql in (AWKWARD, "SELECT g FROM generate_series(1, 2500) AS g", "SELECT 1 WHERE false"):
        by_copy = await export(sql, output_format, engine=CsvEngine.COPY)
        by_cursor = await export(sql, output_format, engine=CsvEngine.CURSOR)
        assert by_cursor.path.read_bytes() == by_copy.path.read_bytes(), sql


async def test_empty_result_is_an_empty_json_array(export: RunExport) -> None:
    result = await export("SELECT 1 AS one WHERE false", OutputFormat.JSON)
    assert json.loads(result.path.read_text()) == []
    assert result.row_count == 0


@pytest.mark.parametrize("output_format", TEXT_FORMATS)
async def test_gzip_file_unpacks_to_the_uncompressed_export(
    export: RunExport, output_format: OutputFormat
) -> None:
    plain = await export(AWKWARD, output_format)
    packed = await export(AWKWARD, output_format, Compression.GZIP)

    assert packed.path.name.endswith(f"{plain.path.suffix}.gz")  # e.g. .jsonl -> .jsonl.gz
    assert gzip.decompress(packed.path.read_bytes()) == plain.path.read_bytes()
    assert packed.row_count == plain.row_count


async def test_gzip_file_passes_gzip_t_and_names_neither_a_file_nor_a_time(
    export: RunExport,
) -> None:
    packed = await export(AWKWARD, OutputFormat.CSV, Compression.GZIP)

    await asyncio.to_thread(subprocess.run, ["gzip", "-t", str(packed.path)], check=True)
    header = packed.path.read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08"  # gzip magic, deflate
    assert header[3] == 0  # no flags: no file name, no comment, no extra field
    assert header[4:8] == b"\x00\x00\x00\x00"  # mtime 0


@pytest.mark.parametrize(
    ("output_format", "compression"),
    [
        (OutputFormat.XLSX, Compression.NONE),
        *((output_format, Compression.GZIP) for output_format in TEXT_FORMATS),
    ],
)
async def test_the_same_rows_give_the_same_bytes(
    export: RunExport, output_format: OutputFormat, compression: Compression
) -> None:
    sql = "SELECT * FROM export_awkward, generate_series(1, 600) AS g ORDER BY id, g"
    first = await export(sql, output_format, compression)
    await asyncio.sleep(1.1)  # a time stamp in the file, to the second, would now differ
    second = await export(sql, output_format, compression)

    assert first.path != second.path
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


@pytest.mark.parametrize(
    ("output_format", "compression"),
    [*((output_format, Compression.NONE) for output_format in OutputFormat)]
    + [(output_format, Compression.GZIP) for output_format in TEXT_FORMATS],
)
async def test_every_file_has_its_size_and_sha256_recorded(
    export: RunExport, output_format: OutputFormat, compression: Compression
) -> None:
    result = await export(AWKWARD, output_format, compression)
    content = result.path.read_bytes()
    assert result.byte_size == len(content)
    assert result.sha256 == hashlib.sha256(content).hexdigest()
    assert not list(result.path.parent.glob(".*.part"))


async def test_xlsx_cells_have_real_types_and_a_bold_header(export: RunExport) -> None:
    result = await export(
        "SELECT 42 AS int, 2.50::numeric AS num, 'NaN'::float8 AS nan, true AS flag, "
        "date '2024-01-02' AS day, timestamptz '2024-01-01 12:00+00' AS at, "
        "9007199254740993 AS big, '=1+1' AS formula_like, NULL::text AS nothing, "
        "'{1,2}'::int[] AS list",
        OutputFormat.XLSX,
    )
    [rows] = sheets(result.path)
    header, values = rows
    assert {style for _, style, _ in header} == {bold_style(result.path)}
    assert [text for _, _, text in header][:3] == ["int", "num", "nan"]
    kinds = [(kind, text) for kind, _, text in values]
    assert kinds == [
        ("n", "42"),
        ("n", "2.5"),
        ("inlineStr", "NaN"),
        ("b", "1"),
        ("n", "45293"),  # 2024-01-02 as an Excel date serial
        ("n", "45292.73958333334"),  # 12:00 UTC is 17:45 in the session time zone
        ("inlineStr", "9007199254740993"),  # beyond 2^53 a number would lose digits
        ("inlineStr", "=1+1"),  # text stays text, never a formula
        ("inlineStr", "{1,2}"),  # NULL leaves its cell empty
    ]
    assert result.notes is None


def test_xlsx_header_row_is_frozen_on_every_sheet(tmp_path: Path) -> None:
    book = XlsxBook(tmp_path / "book.xlsx", ["n"], ["int4"], 2)
    book.write_rows([(number,) for number in range(1, 6)])
    book.close()

    with zipfile.ZipFile(tmp_path / "book.xlsx") as archive:
        assert archive.testzip() is None
        sheet_names = sorted(name for name in archive.namelist() if "worksheets/" in name)
        assert len(sheet_names) == 3
        for name in sheet_names:
            assert (
                b'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                in (archive.read(name))
            )
        assert not [name for name in archive.namelist() if name.startswith("docProps/")]


def test_xlsx_continues_on_a_new_sheet_with_the_header_repeated(tmp_path: Path) -> None:
    book = XlsxBook(tmp_path / "book.xlsx", ["n", "label"], ["int4", "text"], 3)
    book.write_rows([(number, f"row {number}") for number in range(1, 8)])
    book.close()

    written = sheets(tmp_path / "book.xlsx")
    assert [len(rows) for rows in written] == [4, 4, 2]
    assert all([text for _, _, text in rows[0]] == ["n", "label"] for rows in written)
    assert [rows[1][0][2] for rows in written] == ["1", "4", "7"]
    notes = book.notes()
    assert notes is not None
    assert "written on 3 sheets" in notes


@pytest.mark.parametrize("output_format", list(OutputFormat))
async def test_failed_export_leaves_no_file_behind(
    export: RunExport, output_format: OutputFormat, tmp_path: Path
) -> None:
    with pytest.raises(ExportFailed, match="division by zero"):
        await export("SELECT 1 / (g - 3) AS boom FROM generate_series(1, 5000) AS g", output_format)
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]
