"""The export names its file from the report's file_name_template: made safe, the format's
extension, unique when the name is taken; a template that fails gives the default name and a
note, never a failed run."""

import uuid
from pathlib import Path

from services.runner.exporters.request import ExportRequest, ExportResult
from services.runner.exporters.selector import Exporter
from shared.events import utc_now
from shared.message_templates.variables import RunFacts
from shared.models import Compression, OutputFormat

QUERY = "SELECT n FROM generate_series(1, 4) AS n"


async def _export(data_source_url: str, directory: Path, template: str) -> ExportResult:
    now = utc_now()
    facts = RunFacts("Sales", None, "Europe/Berlin", "SUCCESS", run_time=now)
    request = ExportRequest(
        uuid.uuid4().hex,
        "Sales",
        QUERY,
        now,
        OutputFormat.CSV,
        Compression.GZIP,
        file_name_template=template,
        template_facts=facts,
    )
    return await Exporter(data_source_url, directory, 60).export(request)


async def test_the_file_gets_the_templated_name_and_a_second_one_a_suffix(
    data_source_url: str, tmp_path: Path
) -> None:
    template = "../sales {{ rows }} rows_{{ report_name }}"
    first = await _export(data_source_url, tmp_path, template)
    second = await _export(data_source_url, tmp_path, template)
    assert first.path.name == "sales_4_rows_Sales.csv.gz"
    assert second.path.name == "sales_4_rows_Sales_2.csv.gz"
    assert first.path.parent == tmp_path
    assert first.notes is None


async def test_a_template_failing_at_export_gives_the_default_name_and_a_note(
    data_source_url: str, tmp_path: Path
) -> None:
    result = await _export(data_source_url, tmp_path, "{{ error + 1 }}")
    assert result.path.name.startswith("Sales_")
    assert result.path.name.endswith(".csv.gz")
    assert result.notes is not None
    assert "file_name_template could not be rendered" in result.notes
