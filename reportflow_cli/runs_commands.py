"""`reportflow run | runs | cancel | resend`: start a run and follow it, its history, and the
actions on one run."""

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from reportflow_cli.api import Api, ApiError, open_api
from reportflow_cli.lookup import report_listing, report_named
from reportflow_cli.options import AsJson, ReportName
from reportflow_cli.output import console, fail, local_time, print_json, print_table, size
from reportflow_cli.run_watch import wait_until_finished

# Exit statuses of `run --wait`, so a script can tell the outcomes apart.
EXIT_CODES = {"SUCCESS": 0, "FAILED": 1, "CANCELLED": 3, "SKIPPED": 4}
RUN_STATUSES = ("QUEUED", "RUNNING", "SUCCESS", "FAILED", "CANCELLED", "SKIPPED")

RunIdArgument = Annotated[
    str, typer.Argument(metavar="RUN_ID", help="The run's id (see `reportflow runs`).")
]


ParameterValue = str | list[Any]


def parse_parameters(pairs: list[str]) -> dict[str, list[str]]:
    """Each `KEY=VALUE`, keeping every value of a key given more than once."""
    parameters: dict[str, list[str]] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise typer.BadParameter(f"{pair!r} is not key=value", param_hint="--param")
        parameters.setdefault(key.strip(), []).append(value)
    return parameters


def run_parameters(
    given: dict[str, list[str]], declared: list[dict[str, Any]]
) -> dict[str, ParameterValue]:
    """The request's `parameters`: a list parameter (type `…[]`) takes every value given for it
    (`-p ids=1 -p ids=2`) or one JSON array (`-p 'ids=[1, 2]'`); any other takes one value. The
    API checks the values themselves."""
    lists = {str(item.get("name")) for item in declared if str(item.get("type")).endswith("[]")}
    parameters: dict[str, ParameterValue] = {}
    for key, values in given.items():
        if key in lists:
            parameters[key] = _list_value(key, values)
        elif len(values) > 1:
            raise typer.BadParameter(
                f"{key} is given {len(values)} times, but the report does not declare it as a list",
                param_hint="--param",
            )
        else:
            parameters[key] = values[0]
    return parameters


def _list_value(key: str, values: list[str]) -> list[Any]:
    if len(values) != 1 or not values[0].lstrip().startswith("["):
        return values
    try:
        parsed = json.loads(values[0])
    except json.JSONDecodeError as error:
        raise typer.BadParameter(
            f"{key}: {values[0]!r} is not a JSON array ({error.msg})", param_hint="--param"
        ) from error
    if not isinstance(parsed, list):
        raise typer.BadParameter(f"{key}: expected a JSON array", param_hint="--param")
    return parsed


def run_report(
    name: ReportName,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="KEY=VALUE",
            help="A run parameter (repeatable; repeat a list parameter's key for each item, "
            "or give a JSON array).",
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", "-w", help="Follow the run until it ends; exit 0 on SUCCESS.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Download the file here (implies --wait).", dir_okay=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as JSON.")] = False,
) -> None:
    """Runs a report now. Exit status with --wait: 0 SUCCESS, 1 FAILED, 3 CANCELLED, 4 SKIPPED,
    2 when the command itself could not be carried out."""
    given = parse_parameters(param or [])
    with open_api() as api:
        report = report_named(api, name)
        parameters = run_parameters(given, list(report.get("parameters") or []))
        body = {"json": {"parameters": parameters}} if parameters else {}
        run = api.call("POST", f"/api/reports/{report['id']}/run", feature="run parameters", **body)
        if parameters and "parameters" not in run:
            fail("this API ignores run parameters; the run was queued without them")
        if not (wait or output):
            _print_run(run, as_json, f"queued run {run['id']}")
            return
        run = wait_until_finished(api, run)
        if run["status"] == "SUCCESS" and output is not None:
            _download(api, run, output)
    _print_run(run, as_json, _outcome(run))
    raise typer.Exit(EXIT_CODES.get(run["status"], 1))


def _outcome(run: dict[str, Any]) -> str:
    if run["status"] == "SUCCESS":
        return f"SUCCESS: {run.get('row_count')} rows, {size(run.get('byte_size'))} ({run['id']})"
    reason = run.get("error_message") or run.get("notes") or "no reason given"
    return f"{run['status']}: {reason} ({run['id']})"


def _print_run(run: dict[str, Any], as_json: bool, sentence: str) -> None:
    if as_json:
        print_json(run)
    elif run["status"] in ("SUCCESS", "QUEUED", "RUNNING"):
        console.print(sentence, markup=False)
    else:
        fail(sentence)


def _download(api: Api, run: dict[str, Any], output: Path) -> None:
    with api.client.stream("GET", f"/api/runs/{run['id']}/download") as response:
        if not response.is_success:
            response.read()
            api.raise_for_status(response)
        with output.open("wb") as file:
            for chunk in response.iter_bytes():
                file.write(chunk)
    console.print(f"saved {output}", markup=False)


def list_runs(
    name: ReportName,
    status: Annotated[
        str | None,
        typer.Option(
            "--status", "-s", help=f"Only runs in this status: {', '.join(RUN_STATUSES)}."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=500, help="At most N runs.")
    ] = 20,
    as_json: AsJson = False,
) -> None:
    """A report's runs, newest first."""
    params: dict[str, str | int] = {"limit": limit}
    if status:
        params["status"] = status.upper()
    with open_api() as api:
        runs = report_listing(api, name, "runs", params)
    if as_json:
        print_json(runs)
        return
    rows = [
        (
            run["id"],
            run["status"],
            run["trigger"],
            local_time(run["queued_at"]),
            _duration(run),
            "-" if run.get("row_count") is None else f"{run['row_count']:,}",
            size(run.get("byte_size")),
            run.get("error_message") or "",
        )
        for run in runs
    ]
    columns = ("id", "status", "trigger", "queued", "took", "rows", "size", "error")
    print_table(f"Runs of {name}", columns, rows)


def _duration(run: dict[str, Any]) -> str:
    if not run.get("started_at") or not run.get("finished_at"):
        return "-"
    took = datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
    return f"{took.total_seconds():.1f} s"


def cancel_run(run_id: RunIdArgument) -> None:
    """Cancels a queued or running run."""
    _run_action(run_id, "cancel", "cancelling runs")


def resend_run(run_id: RunIdArgument) -> None:
    """Sends a finished run's notifications again."""
    _run_action(run_id, "resend", "resending notifications")


def _run_action(run_id: str, action: str, feature: str) -> None:
    with open_api() as api:
        try:
            answer = api.call("POST", f"/api/runs/{run_id}/{action}", feature=feature)
        except ApiError as error:
            if error.status_code == 422 and "run_id" in str(error):
                raise ApiError(f"{run_id!r} is not a run id") from error
            raise
    status = answer.get("status") if isinstance(answer, dict) else None
    console.print(f"{action}: {run_id}" + (f" ({status})" if status else ""), markup=False)
