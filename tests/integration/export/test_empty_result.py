"""`empty_result: fail` through the API and a real runner: a query with no rows ends the run
FAILED, saying so, and leaves no file; `send` (the default) keeps such a run a success."""

from pathlib import Path

import httpx

from services.runner.empty_result import NO_ROWS
from tests.support.api import create_report, run_and_wait
from tests.support.services import ServiceProcess

NO_ROWS_SQL = "SELECT * FROM export_awkward WHERE false"
RUN_WAIT_SECONDS = 60


def _files(directory: Path) -> set[Path]:
    """Output files and publishing markers (the runner's own folders are not files)."""
    return {path for path in directory.rglob("*") if path.is_file()}


async def test_an_empty_result_fails_the_run_when_the_report_says_fail(
    export_client: httpx.AsyncClient, export_runner: ServiceProcess, output_dir: Path
) -> None:
    report_id = await create_report(export_client, NO_ROWS_SQL, empty_result="fail")
    files_before = _files(output_dir)

    run = await run_and_wait(export_client, report_id, RUN_WAIT_SECONDS)

    assert (run["status"], run["row_count"], run["output_path"]) == ("FAILED", 0, None)
    assert run["error_message"] == NO_ROWS
    assert _files(output_dir) - files_before == set()


async def test_an_empty_result_is_a_success_by_default(
    export_client: httpx.AsyncClient, export_runner: ServiceProcess
) -> None:
    report_id = await create_report(export_client, NO_ROWS_SQL)

    run = await run_and_wait(export_client, report_id, RUN_WAIT_SECONDS)

    assert (run["status"], run["row_count"]) == ("SUCCESS", 0)
    report = (await export_client.get(f"/api/reports/{report_id}")).json()
    assert (report["empty_result"], report["deliver_if"]) == ("send", [])
