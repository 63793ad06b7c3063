"""JSON Schemas for files people keep next to the API: the reports file of `reportflow apply`."""

from typing import Any

from fastapi import APIRouter

from services.api.reports_file import SCHEMA_PATH, reports_file_schema

router = APIRouter(tags=["reports as code"])


@router.get(SCHEMA_PATH)
async def reports_file_json_schema() -> dict[str, Any]:
    """For editors: `# yaml-language-server: $schema=<API>/api/schemas/reports-file.json`."""
    return reports_file_schema()
