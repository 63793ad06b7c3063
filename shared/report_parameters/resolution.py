"""A report's SQL and declarations checked together, and a run's values resolved: overrides,
then defaults, then date macros at the run's slot."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.report_parameters.date_macros import RESERVED_NAMES, local_date, macro_dates
from shared.report_parameters.declarations import Declaration, ParameterProblem
from shared.report_parameters.placeholders import (
    PlaceholderProblem,
    find_placeholders,
    original_position,
    replace_placeholders,
)
from shared.report_parameters.references import setting_name, typed_reference
from shared.report_parameters.values import Coerced, InvalidValue


@dataclass(frozen=True)
class ResolvedRun:
    """What a run executes: the rewritten SQL and, for set_config, each value's setting."""

    sql: str
    values: dict[str, Any]  # name → recorded JSON value: what the run records it used
    settings: list[tuple[str, str]]  # (setting name, value text), bound as parameters


def used_macros(sql: str) -> list[str]:
    placeholders = find_placeholders(sql, refuse_inside=False)
    return sorted({placeholder.name for placeholder in placeholders} & RESERVED_NAMES)


def _references(declarations: Sequence[Declaration]) -> dict[str, str]:
    references = {
        declaration.name: typed_reference(
            declaration.name, declaration.item_type, declaration.is_list
        )
        for declaration in declarations
    }
    return references | {name: typed_reference(name, "date", False) for name in RESERVED_NAMES}


def report_statement(
    sql: str, declarations: Sequence[Declaration], refuse_inside: bool = True
) -> str:
    """The SQL with every placeholder as a typed reference; raises PlaceholderProblem for one
    that names no parameter or macro and, with `refuse_inside` (a report being saved), for a
    placeholder inside a literal or comment."""
    references = _references(declarations)
    for placeholder in find_placeholders(sql, refuse_inside):
        if placeholder.name not in references:
            raise PlaceholderProblem(
                f"placeholder {{{{ {placeholder.name} }}}} at character {placeholder.start + 1} "
                "names no declared parameter and no date macro"
            )
    return replace_placeholders(sql, references, refuse_inside)


def position_in_report_sql(sql: str, declarations: Sequence[Declaration], position: int) -> int:
    """Where a character position PostgreSQL gave for `report_statement(sql, ...)` lies in
    `sql` as the user wrote it."""
    return original_position(sql, _references(declarations), position)


def checked_overrides(
    declarations: Sequence[Declaration], overrides: Mapping[str, object]
) -> dict[str, Coerced]:
    """Each override as its declared type; raises ParameterProblem((name,), …) for an unknown
    name, a value of the wrong type or a missing value."""
    by_name = {declaration.name: declaration for declaration in declarations}
    checked: dict[str, Coerced] = {}
    for name, value in overrides.items():
        declaration = by_name.get(name)
        if declaration is None:
            known = ", ".join(by_name) or "none"
            reason = "is a date macro, set by the run's slot" if name in RESERVED_NAMES else ""
            raise ParameterProblem(
                (name,),
                f"unknown parameter {name!r}{' (' + reason + ')' if reason else ''}; "
                f"the report declares: {known}",
            )
        try:
            checked[name] = declaration.coerce(value)
        except InvalidValue as error:
            message = f"parameter {name!r} ({declaration.type}): {error}"
            raise ParameterProblem((name,), message) from error
    for declaration in declarations:
        if declaration.name not in checked and declaration.default is None:
            raise ParameterProblem(
                (declaration.name,),
                f"parameter {declaration.name!r} has no default, so the run must give a value",
            )
    return checked


def resolve_run(
    sql: str,
    declarations: Sequence[Declaration],
    overrides: Mapping[str, object],
    slot: datetime,
    timezone: str,
) -> ResolvedRun:
    """The run's SQL and values: overrides, defaults, and the date macros the SQL uses,
    evaluated at `slot` (the scheduled time, or when a manual run was queued) in `timezone`.

    `{{ name }}` inside a literal or comment is its text here: the API refuses it when a report
    is saved, but a report saved before parameters existed may hold it, and still runs."""
    statement = report_statement(sql, declarations, refuse_inside=False)
    given = checked_overrides(declarations, overrides)
    values: dict[str, Coerced] = {}
    for declaration in declarations:
        value = given.get(declaration.name, declaration.default)
        assert value is not None  # checked_overrides refused a missing value
        values[declaration.name] = value
    macros = used_macros(sql)
    dates = macro_dates(local_date(slot, timezone)) if macros else {}
    for name in macros:
        text = dates[name].isoformat()
        values[name] = Coerced(text, text)
    return ResolvedRun(
        statement,
        {name: value.recorded for name, value in values.items()},
        [(setting_name(name), value.setting) for name, value in values.items()],
    )
