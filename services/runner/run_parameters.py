"""A claimed run's parameter values, resolved from the report as it is at claim: the run's
requested values, the declared defaults, and the date macros at the run's slot."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from shared.report_parameters.declarations import ParameterProblem, parse_declarations
from shared.report_parameters.placeholders import PlaceholderProblem
from shared.report_parameters.resolution import ResolvedRun, resolve_run


@dataclass(frozen=True)
class ParameterRefusal:
    """Why the run cannot start: the report changed since the run was requested, say."""

    reason: str


def run_parameters(
    sql: str,
    declarations: list[dict[str, Any]],
    requested: dict[str, Any] | None,
    scheduled_for: datetime | None,
    queued_at: datetime,
    timezone: str,
) -> ResolvedRun | ParameterRefusal:
    """A scheduled run's macros are those of its slot, whenever it runs (a late or repeated
    attempt gets the same dates); a manual run's are those of the moment it was queued."""
    try:
        return resolve_run(
            sql,
            parse_declarations(declarations),
            requested or {},
            scheduled_for or queued_at,
            timezone,
        )
    except (ParameterProblem, PlaceholderProblem) as error:
        return ParameterRefusal(f"not run: its parameters cannot be resolved: {error}")
    except ZoneInfoNotFoundError:  # written past the API's check
        return ParameterRefusal(f"not run: unknown time zone {timezone!r} for its date macros")
