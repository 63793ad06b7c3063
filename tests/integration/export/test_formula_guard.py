"""A report's csv_formula_guard: off, files are as PostgreSQL writes them; on, text cells that
would start a spreadsheet formula get a leading ' in CSV (either engine) and XLSX, while
numbers, dates and NULLs stay as they are."""

import uuid
from pathlib import Path

import httpx
import pytest

from services.runner.exporters.request import ExportRequest, ExportResult
from services.runner.exporters.selector import CsvEngine, Exporter
from shared.events import utc_now
from shared.models import OutputFormat
from tests.integration.export.xlsx_cells import sheets
from tests.support.reports import report_body

QUERY = """SELECT * FROM (VALUES
    ('=1+2', '-5'::text, -5, '@SUM(A1)', E'\\tx', 'plain', '+1', E'\\rcr', NULL::text,
     DATE '2024-01-01')
) AS t("=name", minus_text, minus_number, at, tab, plain, plus, cr, nothing, day)"""
PLAIN_CSV = (
    b"=name,minus_text,minus_number,at,tab,plain,plus,cr,nothing,day\n"
    b'=1+2,-5,-5,@SUM(A1),\tx,plain,+1,"\rcr",,2024-01-01\n'
)
GUARDED_CSV = (
    b"'=name,minus_text,minus_number,at,tab,plain,plus,cr,nothing,day\n"
    b"'=1+2,'-5,-5,'@SUM(A1),'\tx,plain,'+1,\"'\rcr\",,2024-01-01\n"
)


async def _export(
    data_source_url: str,
    tmp_path: Path,
    output_format: OutputFormat,
    guard: bool,
    engine: CsvEngine = CsvEngine.COPY,
) -> ExportResult:
    exporter = Exporter(data_source_url, tmp_path / engine, 60, engine)
    request = ExportRequest(
        uuid.uuid4().hex, "Guard test", QUERY, utc_now(), output_format, csv_formula_guard=guard
    )
    return await exporter.export(request)


@pytest.mark.parametrize("engine", list(CsvEngine))
async def test_without_the_guard_csv_is_left_as_postgresql_writes_it(
    data_source_url: str, tmp_path: Path, engine: CsvEngine
) -> None:
    result = await _export(data_source_url, tmp_path, OutputFormat.CSV, False, engine)
    assert result.path.read_bytes() == PLAIN_CSV


@pytest.mark.parametrize("engine", list(CsvEngine))
async def test_with_the_guard_formula_cells_are_prefixed_in_csv(
    data_source_url: str, tmp_path: Path, engine: CsvEngine
) -> None:
    result = await _export(data_source_url, tmp_path, OutputFormat.CSV, True, engine)
    assert result.path.read_bytes() == GUARDED_CSV
    assert result.row_count == 1


async def test_with_the_guard_formula_text_cells_are_prefixed_in_xlsx(
    data_source_url: str, tmp_path: Path
) -> None:
    result = await _export(data_source_url, tmp_path, OutputFormat.XLSX, True)
    ((header, row),) = sheets(result.path)
    assert header[0][2] == "'=name"
    texts = [text for _, _, text in row]
    assert texts[0] == "'=1+2"
    assert texts[1] == "'-5"
    assert row[2][0] == "n"  # the number stays a number
    assert texts[2] == "-5"
    assert texts[3:7] == ["'@SUM(A1)", "'\tx", "plain", "'+1"]


async def test_the_guard_is_a_report_field_off_by_default(client: httpx.AsyncClient) -> None:
    report = (await client.post("/api/reports", json=report_body())).json()
    assert report["csv_formula_guard"] is False
    response = await client.put(f"/api/reports/{report['id']}", json={"csv_formula_guard": True})
    assert response.status_code == 200, response.text
    assert response.json()["csv_formula_guard"] is True
