"""A report's parameters checked where the request enters: declarations, placeholders in its
SQL, defaults a schedule needs, and a manual run's values; each problem is a 422 naming it."""

from collections.abc import Mapping, Sequence
from typing import Any

from services.api.errors import FieldError
from shared.report_parameters.declarations import (
    Declaration,
    ParameterProblem,
    parse_declarations,
)
from shared.report_parameters.placeholders import PlaceholderProblem
from shared.report_parameters.resolution import checked_overrides, report_statement


def checked_declarations(raw: Sequence[Mapping[str, Any]]) -> list[Declaration]:
    try:
        return parse_declarations(raw)
    except ParameterProblem as error:
        raise FieldError(
            422, "parameters", error.message, "invalid_parameter", "body", error.path
        ) from error


def statement_to_check(sql: str, declarations: Sequence[Declaration]) -> str:
    """The SQL as the runner will run it (placeholders as typed references), for PostgreSQL
    to prepare; a placeholder it cannot hold is a 422 on `sql_query`."""
    try:
        return report_statement(sql, declarations)
    except PlaceholderProblem as error:
        raise FieldError(422, "sql_query", str(error), "invalid_placeholder") from error


def require_defaults_when_scheduled(
    schedule_cron: str | None, declarations: Sequence[Declaration]
) -> None:
    """A scheduled run gives no values, so it runs with the defaults."""
    if schedule_cron is None:
        return
    for index, declaration in enumerate(declarations):
        if declaration.default is None:
            raise FieldError(
                422,
                "parameters",
                f"parameter {declaration.name!r} needs a default: the report has a schedule, "
                "and scheduled runs use the defaults",
                "missing_default",
                "body",
                (index, "default"),
            )


def requested_values(
    stored_declarations: Sequence[Mapping[str, Any]], overrides: Mapping[str, object]
) -> dict[str, Any] | None:
    """A manual run's values as it records them, or None when it gives none; an unknown name,
    a value of the wrong type or a missing value is a 422 naming the parameter."""
    try:
        checked = checked_overrides(parse_declarations(stored_declarations), overrides)
    except ParameterProblem as error:
        raise FieldError(
            422, "parameters", error.message, "invalid_parameter", "body", error.path
        ) from error
    return {name: value.recorded for name, value in checked.items()} or None
