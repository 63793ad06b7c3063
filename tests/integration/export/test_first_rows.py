"""The first rows an export keeps with its run (inline_rows, first_value): read from what each
engine already receives — the COPY byte stream or the cursor's batches — in every format, with
and without gzip and the formula guard, never by a second query."""

import itertools
import uuid
from pathlib import Path
from typing import Any

import pytest

from services.runner.exporters.request import ExportRequest
from services.runner.exporters.selector import CsvEngine, Exporter
from shared.events import utc_now
from shared.export_formats import compression_problem
from shared.models import Compression, OutputFormat

SQL = """
SELECT * FROM (VALUES
    (1, '<script>alert(1)</script>', 1.5::float8, true, '=1+1'),
    (2, E'a & "b"\\nnext, line', NULL, false, ''),
    (3, '', 0.1::float4, NULL, 'x'),
    (4, 'not kept', 2, true, 'y')
) AS t(id, note, amount, flag, formula)
"""
TEXT_ROWS = [
    ["1", "<script>alert(1)</script>", "1.5", "t", "=1+1"],
    ["2", 'a & "b"\nnext, line', None, "f", ""],
    ["3", "", "0.10000000149011612", None, "x"],
]
JSON_ROWS = [
    [1, "<script>alert(1)</script>", "1.5", True, "=1+1"],
    [2, 'a & "b"\nnext, line', None, False, ""],
    [3, "", "0.10000000149011612", None, "x"],
]
COLUMNS = ["id", "note", "amount", "flag", "formula"]
CASES = [
    (output_format, engine, compression, guard)
    for output_format, engine, compression, guard in itertools.product(
        OutputFormat, CsvEngine, Compression, (False, True)
    )
    if compression_problem(output_format, compression) is None
]


async def _kept(
    data_source_url: str,
    directory: Path,
    sql: str,
    keep_rows: int,
    output_format: OutputFormat = OutputFormat.CSV,
    engine: CsvEngine = CsvEngine.COPY,
    compression: Compression = Compression.NONE,
    guard: bool = False,
) -> dict[str, Any] | None:
    exporter = Exporter(data_source_url, directory, 60, engine, batch_rows=2)
    request = ExportRequest(
        uuid.uuid4().hex,
        "First rows",
        sql,
        utc_now(),
        output_format,
        compression,
        guard,
        keep_rows=keep_rows,
    )
    return (await exporter.export(request)).first_rows


@pytest.mark.parametrize(
    ("output_format", "engine", "compression", "guard"),
    CASES,
    ids=["-".join(map(str, case)) for case in CASES],
)
async def test_every_format_and_engine_keeps_the_same_first_rows(
    data_source_url: str,
    tmp_path: Path,
    output_format: OutputFormat,
    engine: CsvEngine,
    compression: Compression,
    guard: bool,
) -> None:
    kept = await _kept(data_source_url, tmp_path, SQL, 3, output_format, engine, compression, guard)
    as_json = output_format in (OutputFormat.JSON, OutputFormat.JSONL)
    assert kept == {"columns": COLUMNS, "rows": JSON_ROWS if as_json else TEXT_ROWS, "cut": False}


@pytest.mark.parametrize("output_format", [OutputFormat.CSV, OutputFormat.XLSX])
async def test_the_engines_keep_postgresqls_own_text_of_awkward_values(
    data_source_url: str, tmp_path: Path, output_format: OutputFormat
) -> None:
    sql = "SELECT * FROM export_awkward ORDER BY id"
    by_copy = await _kept(data_source_url, tmp_path, sql, 4, OutputFormat.CSV, CsvEngine.COPY)
    by_cursor = await _kept(data_source_url, tmp_path, sql, 4, output_format, CsvEngine.CURSOR)
    assert by_copy is not None
    assert len(by_copy["rows"]) == 4
    assert by_cursor == by_copy


async def test_no_rows_asked_keeps_nothing_and_an_empty_result_keeps_the_columns(
    data_source_url: str, tmp_path: Path
) -> None:
    assert await _kept(data_source_url, tmp_path, SQL, 0) is None
    empty = await _kept(data_source_url, tmp_path, "SELECT 1 AS one WHERE false", 5)
    assert empty == {"columns": ["one"], "rows": [], "cut": False}
