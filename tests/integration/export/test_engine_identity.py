"""The `cursor` CSV engine writes the same bytes as the `copy` engine and as psql's \\copy."""

import asyncio
from pathlib import Path

import pytest

from services.runner.exporters.selector import CsvEngine
from tests.integration.export.conftest import RunExport
from tests.support.psql import psql_copy_csv

QUERIES = {
    "awkward values": "SELECT * FROM awkward_values ORDER BY id",
    "more awkward types": "SELECT * FROM export_awkward ORDER BY id",
    "one column with the end-of-data marker": "SELECT single FROM export_awkward ORDER BY id",
    "one column of NULLs": "SELECT NULL::text AS nothing FROM generate_series(1, 3)",
    "no rows": "SELECT * FROM export_awkward WHERE false",
    "odd column names": 'SELECT 1 AS "a,b", 2 AS "say ""hi""", 3 AS "tab\tname", 4 AS "\\."',
    "anonymous records and arrays of them": (
        "SELECT ROW(1, 'a b', NULL, ROW('x,y', '')) AS r, ARRAY[ROW(1, '\"q\"')] AS rs"
    ),
    "many batches": (
        "SELECT g, g::numeric / 7 AS fraction, repeat('x,', g % 5) AS text, "
        "timestamptz '2024-03-31 00:00+00' + g * interval '7 minutes' AS at, "
        "CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN '' ELSE 'a\"b' END AS mixed "
        "FROM generate_series(1, 25000) AS g"
    ),
}


@pytest.mark.parametrize("sql", QUERIES.values(), ids=list(QUERIES))
async def test_cursor_engine_writes_the_same_bytes_as_copy_and_psql(
    export: RunExport, data_source_url: str, sql: str, tmp_path: Path
) -> None:
    by_copy = await export(sql, engine=CsvEngine.COPY)
    by_cursor = await export(sql, engine=CsvEngine.CURSOR)
    reference = await asyncio.to_thread(psql_copy_csv, data_source_url, sql, tmp_path / "psql.csv")

    assert by_copy.path.read_bytes() == reference
    assert by_cursor.path.read_bytes() == reference
    assert by_cursor.row_count == by_copy.row_count
    assert (by_cursor.byte_size, by_cursor.sha256) == (by_copy.byte_size, by_copy.sha256)


async def test_timestamps_are_written_in_the_session_time_zone(export: RunExport) -> None:
    result = await export(
        "SELECT timestamptz '2024-01-15 10:30:05+00' AS at", engine=CsvEngine.CURSOR
    )
    assert result.path.read_text() == "at\n2024-01-15 16:15:05+05:45\n"


@pytest.mark.parametrize("engine", list(CsvEngine))
async def test_a_trailing_comment_does_not_swallow_the_wrapping(
    export: RunExport, engine: CsvEngine
) -> None:
    result = await export("SELECT 1 AS one -- a comment", engine=engine)
    assert result.path.read_text() == "one\n1\n"
