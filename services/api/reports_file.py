"""The JSON Schema of a reports file (`reportflow export` / `apply`), built from the API's own
report model so that an editor validates a file exactly as the API will read it.

`python -m services.api.reports_file` prints it; the copy the command line ships,
reportflow_cli/reports-file.schema.json, is kept equal to it by a test."""

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.api.schemas import ReportCreate, ReportName

SCHEMA_PATH = "/api/schemas/reports-file.json"


class ReportsFileEntry(ReportCreate):
    """One report of the file: its name is the key; `renamed_from` renames an existing one."""

    renamed_from: ReportName | None = Field(
        default=None, description="The report's name before; applying renames it, keeping history."
    )


class ReportsFile(BaseModel):
    """`reports:`, the list of report definitions. A string may be `${ENV_VAR}`, read from the
    environment of `reportflow apply`: a secret never needs to be in the file."""

    model_config = ConfigDict(extra="forbid", title="ReportFlow reports file")

    reports: list[ReportsFileEntry]


def reports_file_schema() -> dict[str, Any]:
    schema = ReportsFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    return json.dumps(reports_file_schema(), indent=2) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
