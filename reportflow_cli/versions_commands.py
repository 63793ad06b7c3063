"""`reportflow versions NAME` and `reportflow restore NAME N`: a report's history of
definitions, and going back to one of them."""

from typing import Annotated, Any

import typer

from reportflow_cli.api import open_api
from reportflow_cli.lookup import report_listing, report_named
from reportflow_cli.options import AsJson, ReportName
from reportflow_cli.output import console, local_time, print_json, print_table

FEATURE = "report versions"


def list_versions(
    name: ReportName,
    as_json: AsJson = False,
) -> None:
    """Every version of a report's definition, newest first: who, when, which fields."""
    with open_api() as api:
        versions = report_listing(api, name, "versions", feature=FEATURE)
    if as_json:
        print_json(versions)
        return
    rows = [
        (
            str(version["version"]),
            local_time(version["occurred_at"]),
            version.get("actor_email") or "-",
            _what(version),
            ", ".join(version["changes"]) or "-",
        )
        for version in versions
    ]
    print_table(f"Versions of {name}", ("version", "when", "who", "what", "fields"), rows)


def _what(version: dict[str, Any]) -> str:
    action = str(version["action"]).removeprefix("report.")
    restored = version.get("restored_version")
    return f"restored version {restored}" if restored else action


def restore_version(
    name: ReportName,
    version: Annotated[
        int, typer.Argument(min=1, metavar="VERSION", help="The version to go back to.")
    ],
) -> None:
    """Makes the definition what it was at VERSION, recorded as a new version."""
    with open_api() as api:
        report = report_named(api, name)
        api.call("POST", f"/api/reports/{report['id']}/versions/{version}/restore", feature=FEATURE)
        latest = api.call("GET", f"/api/reports/{report['id']}/versions", feature=FEATURE)
    made = latest[0] if latest else {}
    if made.get("restored_version") == version:
        fields = ", ".join(made["changes"])
        console.print(
            f"restored version {version} of {name} as version {made['version']} ({fields})",
            markup=False,
        )
    else:
        console.print(f"{name} already matches version {version}: nothing changed", markup=False)
