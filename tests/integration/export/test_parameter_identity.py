"""Every parameter type, read by the SQL from its setting, writes the same bytes as psql's
\\copy of the query with the value written in as a literal, with both CSV engines."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.runner.exporters.request import ExportRequest
from services.runner.exporters.selector import CsvEngine, Exporter
from shared.report_parameters.declarations import parse_declarations
from shared.report_parameters.resolution import resolve_run
from tests.support.psql import psql_copy_csv

SLOT = datetime(2028, 3, 1, 12, tzinfo=UTC)
# (type, value, the value as psql's reference query writes it)
CASES = [
    ("text", 'it\'s "quoted", {braced}\nnew line', "'it''s \"quoted\", {braced}\nnew line'"),
    ("integer", -9223372036854775808, "(-9223372036854775808)::bigint"),
    ("number", 0.1, "0.1::numeric"),
    ("number", 12345678901234, "12345678901234::numeric"),
    ("date", "2028-02-29", "DATE '2028-02-29'"),
    ("timestamp", "2026-03-29T01:30:00+00:00", "TIMESTAMPTZ '2026-03-29T01:30:00+00:00'"),
    ("boolean", False, "false"),
    ("text[]", ["a,b", 'c"d', "", "NULL"], "ARRAY['a,b', 'c\"d', '', 'NULL']"),
    ("integer[]", [3, 1, 2], "ARRAY[3, 1, 2]::bigint[]"),
    ("date[]", [], "ARRAY[]::date[]"),
    ("number[]", [1.5, 2], "ARRAY[1.5, 2]::numeric[]"),
]


@pytest.mark.parametrize("engine", list(CsvEngine))
@pytest.mark.parametrize(("kind", "value", "literal"), CASES, ids=[case[0] for case in CASES])
async def test_parameter_value_exports_like_its_literal(
    data_source_url: str,
    tmp_path: Path,
    engine: CsvEngine,
    kind: str,
    value: object,
    literal: str,
) -> None:
    declarations = parse_declarations([{"name": "v", "type": kind, "default": value}])
    template = "SELECT {v} AS v, {last_month_end} AS month_end"
    resolved = resolve_run(
        template.format(v="{{ v }}", last_month_end="{{ last_month_end }}"),
        declarations,
        {},
        SLOT,
        "UTC",
    )
    exporter = Exporter(data_source_url, tmp_path / "out", 60, engine)
    request = ExportRequest(
        uuid.uuid4().hex,
        "Parameters",
        resolved.sql,
        SLOT,
        parameter_settings=tuple(resolved.settings),
    )
    result = await exporter.export(request)
    reference_sql = template.format(v=literal, last_month_end="DATE '2028-02-29'")
    reference = await asyncio.to_thread(
        psql_copy_csv, data_source_url, reference_sql, tmp_path / "psql.csv"
    )
    assert result.path.read_bytes() == reference
