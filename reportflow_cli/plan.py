"""What `reportflow apply` would change: the file's definitions against the API's reports,
matched by name (or `renamed_from`). Pure: no I/O, so every case is a unit test."""

from dataclasses import dataclass, field
from typing import Any

from reportflow_cli.file_schema import normalized
from reportflow_cli.reports_file import Definition


class PlanError(Exception):
    """The file cannot be applied as it is (e.g. a rename whose new name is taken)."""


@dataclass(frozen=True)
class Change:
    action: str  # "create", "update" or "delete"
    name: str
    report_id: str | None = None
    # update: {field: (old, new)}; create: {field: (None, new)}; delete: empty
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    definition: Definition | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Plan:
    changes: list[Change]

    def of(self, action: str) -> list[Change]:
        return [change for change in self.changes if change.action == action]

    @property
    def is_empty(self) -> bool:
        return not self.changes


def current_definition(report: dict[str, Any]) -> dict[str, Any]:
    return normalized(report)


def make_plan(
    definitions: list[Definition],
    reports: list[dict[str, Any]],
    *,
    prune_owner: str | None = None,
    prune_all: bool = False,
) -> Plan:
    """`prune_owner` (a user id) deletes that owner's reports the file does not name;
    `prune_all` every report the file does not name."""
    by_name = {report["name"]: report for report in reports}
    kept: set[str] = set()
    changes: list[Change] = []
    for definition in definitions:
        existing = _match(definition, by_name)
        if existing is None:
            created = {name: (None, value) for name, value in definition.fields.items()}
            changes.append(Change("create", definition.name, None, created, definition))
            continue
        kept.add(existing["id"])
        old = current_definition(existing)
        differences = {
            name: (old[name], new) for name, new in definition.fields.items() if old[name] != new
        }
        if differences:
            changes.append(
                Change("update", existing["name"], existing["id"], differences, definition)
            )
    if prune_owner is not None or prune_all:
        changes += [
            Change("delete", report["name"], report["id"], owner=report.get("owner_email"))
            for report in reports
            if report["id"] not in kept and (prune_all or report.get("owner_id") == prune_owner)
        ]
    return Plan(changes)


def _match(definition: Definition, by_name: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    existing = by_name.get(definition.name)
    previous = by_name.get(definition.renamed_from) if definition.renamed_from else None
    if existing is not None and previous is not None and existing is not previous:
        raise PlanError(
            f"line {definition.line_of('renamed_from')}: cannot rename {definition.renamed_from!r}"
            f" to {definition.name!r}: a report with that name exists"
        )
    return existing or previous
