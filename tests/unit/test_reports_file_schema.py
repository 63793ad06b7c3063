"""The reports file's JSON Schema the command line ships is the one the API's models make."""

import json
from pathlib import Path

from services.api.reports_file import reports_file_schema, schema_text

SHIPPED = Path(__file__).parents[2] / "reportflow_cli" / "reports-file.schema.json"


def test_the_shipped_schema_is_generated_from_the_current_models() -> None:
    assert SHIPPED.read_text() == schema_text(), (
        "regenerate: python -m services.api.reports_file > reportflow_cli/reports-file.schema.json"
    )


def test_the_schema_describes_every_report_field_and_a_rename() -> None:
    entry = reports_file_schema()["$defs"]["ReportsFileEntry"]
    assert {"name", "sql_query", "schedule_cron", "recipients", "renamed_from"} <= set(
        entry["properties"]
    )
    assert entry["required"] == ["name", "sql_query"]
    assert entry["additionalProperties"] is False


def test_the_shipped_schema_is_valid_json() -> None:
    assert json.loads(SHIPPED.read_text())["title"] == "ReportFlow reports file"
