"""Follows a run until it ends, with a live progress display: status, rows exported, bytes
written, elapsed time."""

import time
from typing import Any

from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from reportflow_cli.api import Api
from reportflow_cli.output import console, size

FINISHED = frozenset({"SUCCESS", "FAILED", "CANCELLED", "SKIPPED"})
POLL_SECONDS = 0.5


def progress_fields(run: dict[str, Any]) -> dict[str, str]:
    """Rows and bytes appear only where the API reports them (`rows_exported`, `bytes_written`
    while it runs; the final counts once it ended)."""
    finished = run["status"] in FINISHED
    rows = run.get("rows_exported", run.get("row_count") if finished else None)
    written = run.get("bytes_written", run.get("byte_size") if finished else None)
    return {
        "status": f"{run['status']:<9}",
        "rows": "" if rows is None else f"{rows:,} rows",
        "bytes": "" if written is None else size(written),
    }


def wait_until_finished(api: Api, run: dict[str, Any]) -> dict[str, Any]:
    with Progress(
        SpinnerColumn(finished_text="•"),
        TextColumn("{task.fields[status]}"),
        BarColumn(),  # no total: it pulses while the run goes on
        TextColumn("{task.fields[rows]}"),
        TextColumn("{task.fields[bytes]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("run", total=None, status="", rows="", bytes="")
        _show(progress, task, run)
        while run["status"] not in FINISHED:
            time.sleep(POLL_SECONDS)
            run = api.call("GET", f"/api/runs/{run['id']}")
            _show(progress, task, run)
        progress.update(task, total=1, completed=1)
    return run


def _show(progress: Progress, task: TaskID, run: dict[str, Any]) -> None:
    fields = progress_fields(run)
    progress.update(task, status=fields["status"], rows=fields["rows"], bytes=fields["bytes"])
