"""`reportflow export` and `reportflow apply`: report definitions kept as a YAML file."""

import io
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from reportflow_cli.api import Api, ApiError, open_api
from reportflow_cli.file_schema import report_fields
from reportflow_cli.lookup import all_reports
from reportflow_cli.output import console
from reportflow_cli.plan import Change, Plan, PlanError, current_definition, make_plan
from reportflow_cli.plan_view import show_plan
from reportflow_cli.reports_file import Definition, ReportsFileError, escaped, load_definitions

SCHEMA_ROUTE = "/api/schemas/reports-file.json"


def export(
    names: Annotated[
        list[str] | None, typer.Argument(help="Reports to export (default: every report).")
    ] = None,
) -> None:
    """Prints report definitions as YAML: `reportflow export > reports.yaml`."""
    with open_api() as api:
        reports = all_reports(api)
    if names:
        by_name = {report["name"]: report for report in reports}
        missing = [name for name in names if name not in by_name]
        if missing:
            raise ApiError(f"no report named {', '.join(map(repr, missing))}")
        reports = [by_name[name] for name in names]
    sys.stdout.write(reports_yaml(reports, api.connection.url))


def reports_yaml(reports: list[dict[str, Any]], url: str) -> str:
    """The reports file of `reports`, headed by the schema line editors read."""
    document = CommentedMap(reports=[_exported(report) for report in reports])
    yaml = YAML()
    yaml.width = 4096  # long SQL lines stay as written
    yaml.indent(mapping=2, sequence=4, offset=2)
    text = io.StringIO()
    yaml.dump(document, text)
    return f"# yaml-language-server: $schema={url}{SCHEMA_ROUTE}\n{text.getvalue()}"


def _exported(report: dict[str, Any]) -> CommentedMap:
    fields = current_definition(report)
    return CommentedMap(
        (name, _block(escaped(fields[name]))) for name in report_fields() if name in fields
    )


def _block(value: Any) -> Any:
    """Multi-line text as a literal block, as it reads in an editor (CR cannot be in one)."""
    if isinstance(value, str) and "\n" in value and "\r" not in value:
        return LiteralScalarString(value)
    return value


def apply(
    file: Annotated[
        Path, typer.Option("--file", "-f", exists=True, dir_okay=False, help="The reports file.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the changes, make none.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete your reports that the file does not name.")
    ] = False,
    all_owners: Annotated[
        bool, typer.Option("--all-owners", help="With --prune: everyone's reports (admins).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting.")] = False,
) -> None:
    """Makes the API's reports match the file: creates, updates (a rename via `renamed_from:`)
    and, with --prune, deletes; shows the diff first. A second apply says "no changes"."""
    try:
        definitions = load_definitions(file)
    except ReportsFileError as error:
        raise ApiError(str(error)) from error
    with open_api() as api:
        owner = _prune_owner(api, all_owners) if prune else None
        try:
            plan = make_plan(
                definitions, all_reports(api), prune_owner=owner, prune_all=prune and all_owners
            )
        except PlanError as error:
            raise ApiError(f"{file}:{error}") from error
        show_plan(plan, str(file))
        if plan.is_empty or dry_run:
            if dry_run and not plan.is_empty:
                console.print("dry run: nothing was changed", markup=False)
            return
        if plan.of("delete") and not yes:
            typer.confirm(f"Delete {len(plan.of('delete'))} report(s)?", abort=True)
        _carry_out(api, plan, file)
    console.print("applied", markup=False)


def _prune_owner(api: Api, all_owners: bool) -> str | None:
    """Whose reports --prune may delete: the caller's, or (admins, --all-owners) anyone's."""
    me = api.call("GET", "/api/me")
    if all_owners and me.get("role") != "admin":
        raise ApiError("--all-owners is for admins: without it, --prune deletes only your reports")
    return None if all_owners else str(me["id"])


def _carry_out(api: Api, plan: Plan, file: Path) -> None:
    """Updates first (a rename frees its old name), then creates, then deletes."""
    for change in plan.of("update"):
        body = {name: new for name, (_, new) in change.fields.items()}
        _send(api, "PUT", f"/api/reports/{change.report_id}", body, change, file)
    for change in plan.of("create"):
        body = {name: new for name, (_, new) in change.fields.items()}
        _send(api, "POST", "/api/reports", body, change, file)
    for change in plan.of("delete"):
        api.call("DELETE", f"/api/reports/{change.report_id}")


def _send(
    api: Api, method: str, path: str, body: dict[str, Any], change: Change, file: Path
) -> None:
    try:
        api.call(method, path, json=body)
    except ApiError as error:
        definition = change.definition
        raise ApiError(f"{file}:{_line(error, definition)}: {change.name}: {error}") from error


def _line(error: ApiError, definition: Definition | None) -> int:
    """The line of the field the API named, or of the report."""
    if definition is None:
        return 1
    detail = error.body.get("detail") if isinstance(error.body, dict) else None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        location = [part for part in detail[0].get("loc", []) if part != "body"]
        if location:
            return definition.line_of(str(location[0]))
    return definition.line
