"""Follows a run until it ends, with a live line: status, rows exported, bytes, elapsed."""

import time
from typing import Any

from rich.live import Live
from rich.text import Text

from reportflow_cli.api import Api
from reportflow_cli.output import console, size

FINISHED = frozenset({"SUCCESS", "FAILED", "CANCELLED", "SKIPPED"})
POLL_SECONDS = 0.5


def progress_line(run: dict[str, Any], elapsed: float) -> Text:
    """Rows and bytes appear only where the API reports them (`rows_exported`, `bytes_written`)."""
    parts = [f"{run['status']:<9}"]
    rows = run.get("rows_exported", run.get("row_count") if run["status"] in FINISHED else None)
    written = run.get("bytes_written", run.get("byte_size") if run["status"] in FINISHED else None)
    if rows is not None:
        parts.append(f"{rows:,} rows")
    if written is not None:
        parts.append(size(written))
    parts.append(f"{elapsed:.1f} s")
    return Text("  ".join(parts))


def wait_until_finished(api: Api, run: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    with Live(progress_line(run, 0), console=console, refresh_per_second=8) as live:
        while run["status"] not in FINISHED:
            time.sleep(POLL_SECONDS)
            run = api.call("GET", f"/api/runs/{run['id']}")
            live.update(progress_line(run, time.monotonic() - started))
    return run
