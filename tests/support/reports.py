"""Request bodies for reports in tests, each with a name of its own."""

import uuid
from typing import Any


def unique_name(prefix: str = "Test report") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def report_body(**fields: Any) -> dict[str, Any]:
    return {"name": unique_name(), "sql_query": "SELECT 1 AS one", **fields}
