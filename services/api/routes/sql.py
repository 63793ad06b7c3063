"""SQL check without saving: the data source prepares a report's query, as create and update do."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, StringConstraints

from services.api.dependencies import SettingsDep, SqlCheckerDep
from services.api.errors import FieldError
from services.api.report_rules import checked_report_fields
from shared.sql_guard import InvalidReportSql

router = APIRouter(prefix="/api/sql", tags=["reports"])


class SqlCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Same name as the report's field, so an error's `loc` names the form field it belongs to.
    sql_query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class SqlCheckResult(BaseModel):
    valid: bool
    # The query as a report would store it.
    sql_query: str


@router.post(
    "/check",
    responses={
        422: {"description": "PostgreSQL's message for a query it cannot prepare"},
        503: {"description": "The data source did not answer in time"},
    },
)
async def check_sql(
    body: SqlCheckRequest, sql_checker: SqlCheckerDep, settings: SettingsDep
) -> SqlCheckResult:
    """Prepares the query on the data source (nothing runs, nothing is saved)."""
    checked_report_fields({"sql_query": body.sql_query}, settings)  # MAX_REPORT_SQL_CHARS
    try:
        normalized = await sql_checker.check(body.sql_query)
    except InvalidReportSql as error:
        raise FieldError(422, "sql_query", str(error), "invalid_sql") from error
    return SqlCheckResult(valid=True, sql_query=normalized)
