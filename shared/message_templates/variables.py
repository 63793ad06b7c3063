"""The variables a report template sees for one run (or sample values), bounded in size so a
template repeating them stays small; date macros as in shared/report_parameters."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.report_parameters.date_macros import macro_dates

# A variable's text is cut at this many characters, a list or mapping at this many items.
MAX_VARIABLE_CHARS = 1_000
MAX_VARIABLE_ITEMS = 100
SAMPLE_ROWS = 1_234
SAMPLE_BYTES = 56_789

VARIABLE_NAMES = (
    "report_name",
    "description",
    "timezone",
    "status",
    "rows",
    "size",
    "error",
    "scheduled_for",
    "run_time",
    "parameters",
    "macros",
)


@dataclass(frozen=True)
class RunFacts:
    """What a template may say about one run of a report."""

    report_name: str
    description: str | None
    timezone: str
    status: str
    # The run's slot: when it was scheduled for, or when a manual run was queued (the moment
    # the date macros and the SQL's own macros are evaluated at).
    run_time: datetime
    scheduled_for: datetime | None = None
    rows: int | None = None
    size: int | None = None
    error: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)


def bounded(value: Any) -> Any:
    """`value` with its texts cut and its collections shortened (the run's own values may be
    long: an error message, a text parameter)."""
    if isinstance(value, str):
        return value[:MAX_VARIABLE_CHARS]
    if isinstance(value, Mapping):
        items = list(value.items())[:MAX_VARIABLE_ITEMS]
        return {str(key)[:MAX_VARIABLE_CHARS]: bounded(item) for key, item in items}
    if isinstance(value, list | tuple):
        return [bounded(item) for item in value[:MAX_VARIABLE_ITEMS]]
    return value


def template_variables(facts: RunFacts) -> dict[str, object]:
    zone = ZoneInfo(facts.timezone)
    run_time = facts.run_time.astimezone(zone)
    scheduled_for = facts.scheduled_for.astimezone(zone) if facts.scheduled_for else None
    return {
        "report_name": bounded(facts.report_name),
        "description": bounded(facts.description),
        "timezone": facts.timezone,
        "status": str(facts.status),
        "rows": facts.rows,
        "size": facts.size,
        "error": bounded(facts.error),
        "scheduled_for": scheduled_for,
        "run_time": run_time,
        "parameters": bounded(dict(facts.parameters)),
        "macros": macro_dates(run_time.date()),
    }


def sample_facts(
    report_name: str,
    description: str | None,
    timezone: str,
    parameter_declarations: list[dict[str, Any]],
    now: datetime,
) -> RunFacts:
    """A successful run at `now` with made-up figures and each parameter's default: what a
    template is checked against when it is saved, and previewed with before any run."""
    defaults = {str(item.get("name")): item.get("default") for item in parameter_declarations}
    return RunFacts(
        report_name,
        description,
        timezone,
        "SUCCESS",
        run_time=now,
        scheduled_for=now,
        rows=SAMPLE_ROWS,
        size=SAMPLE_BYTES,
        parameters=defaults,
    )


def sample_variants(facts: RunFacts) -> dict[str, RunFacts]:
    """`facts` (a scheduled successful run) and the other kinds of run the same template must
    also render for, by what tells them apart: a manual run has no `scheduled_for`, a failed
    run has an error and no rows or size."""
    return {
        "a scheduled run": facts,
        "a manual run (scheduled_for is none; run_time is set)": replace(facts, scheduled_for=None),
        "a failed run (rows and size are none)": replace(
            facts, status="FAILED", error="sample error", rows=None, size=None
        ),
    }
