"""`reportflow reports list | show | delete`."""

from typing import Annotated, Any

import typer
from rich.syntax import Syntax

from reportflow_cli.api import Api, open_api
from reportflow_cli.lookup import all_reports, report_named
from reportflow_cli.options import AsJson, ReportName
from reportflow_cli.output import console, local_time, print_json, print_table

app = typer.Typer(help="List, show and delete reports.", no_args_is_help=True)


@app.command("list")
def list_reports(as_json: AsJson = False) -> None:
    """Every report: name, owner, schedule in words, next run and last status."""
    with open_api() as api:
        reports = all_reports(api)
        if as_json:
            print_json(reports)
            return
        words = schedule_words(api, reports)
    rows = [
        (
            report["name"],
            report.get("owner_email") or "-",
            words.get(_schedule_key(report), "manual only"),
            local_time(report.get("next_run_at")),
            (report.get("last_run") or {}).get("status", "never ran"),
        )
        for report in reports
    ]
    print_table(None, ("name", "owner", "schedule", "next run", "last status"), rows)


def schedule_words(api: Api, reports: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """The API's own description of each distinct schedule (one preview per schedule)."""
    words: dict[tuple[str, str], str] = {}
    for report in reports:
        key = _schedule_key(report)
        if key[0] and key not in words:
            preview = api.call(
                "GET", "/api/schedule/preview", params={"cron": key[0], "timezone": key[1]}
            )
            paused = "" if report["is_active"] else " (paused)"
            words[key] = f"{preview['description']} ({key[1]}){paused}"
    return words


def _schedule_key(report: dict[str, Any]) -> tuple[str, str]:
    return (report.get("schedule_cron") or "", report.get("timezone") or "UTC")


@app.command("show")
def show_report(name: ReportName, as_json: AsJson = False) -> None:
    """One report's definition, its owner, next run and last run."""
    with open_api() as api:
        report = report_named(api, name)
    if as_json:
        print_json(report)
        return
    shown = {key: value for key, value in report.items() if key != "sql_query"}
    shown["next_run_at"] = local_time(report.get("next_run_at"))
    last = report.get("last_run") or {}
    shown["last_run"] = f"{last['status']} ({local_time(last.get('finished_at'))})" if last else "-"
    width = max(len(key) for key in shown)
    for key, value in shown.items():
        console.print(f"{key:<{width}}  {_plain(value)}", soft_wrap=True, markup=False)
    console.print(Syntax(report["sql_query"], "sql", word_wrap=True))


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "-"
    return "-" if value is None else str(value)


@app.command("delete")
def delete_report(
    name: ReportName,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Deletes a report and its run history (files already written stay)."""
    with open_api() as api:
        report = report_named(api, name)
        if not yes:
            typer.confirm(f"Delete report {name!r} and its run history?", abort=True)
        api.call("DELETE", f"/api/reports/{report['id']}")
    console.print(f"deleted {name}", markup=False)
