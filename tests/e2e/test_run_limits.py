"""What one run may make the system do, through the real runner: past MAX_RUN_ROWS or
MAX_RUN_BYTES a run ends FAILED naming the limit, leaves no file and is not retried; past its
report's timeout_seconds it ends FAILED naming the timeout."""

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LimitedSystem
from tests.support.api import create_report, run_and_wait

WAIT = 60
# 20,000 short rows: over MAX_RUN_ROWS (10,000), far under MAX_RUN_BYTES (1 MiB).
MANY_ROWS = "SELECT g AS n FROM generate_series(1, 20000) AS g"
# 2,000 rows of 1,280 random hex characters: under the row limit, about 2.5 MB (1.3 MB zipped).
BIG_ROWS = (
    "SELECT g AS n, (SELECT string_agg(md5(random()::text || g || i), '') "
    "FROM generate_series(1, 40) AS i) AS noise FROM generate_series(1, 2000) AS g"
)
# Each format's way of writing: COPY (csv, json), a cursor (csv with the formula guard, jsonl
# is COPY too, so the guard covers the cursor), and XLSX's own zip.
FORMATS: list[dict[str, Any]] = [
    {"output_format": "CSV"},
    {"output_format": "CSV", "csv_formula_guard": True},
    {"output_format": "JSON"},
    {"output_format": "CSV", "compression": "gzip"},
    {"output_format": "XLSX"},
]


def _files(directory: Path) -> set[Path]:
    return {path for path in directory.rglob("*") if path.is_file()}


async def _failed_run(system: LimitedSystem, sql: str, **fields: Any) -> dict[str, Any]:
    before = _files(system.scenario.output_dir)
    report_id = await create_report(system.client, sql, **fields)
    run = await run_and_wait(system.client, report_id, WAIT)
    assert run["status"] == "FAILED", run
    assert run["attempt"] == 1, run  # not retried
    assert run["output_path"] is None
    assert _files(system.scenario.output_dir) == before  # the partial file was removed
    return run


@pytest.mark.parametrize("fields", FORMATS, ids=lambda fields: "-".join(map(str, fields.values())))
async def test_a_run_past_the_row_limit_fails_naming_it_and_leaves_no_file(
    limited_system: LimitedSystem, fields: dict[str, Any]
) -> None:
    run = await _failed_run(limited_system, MANY_ROWS, **fields)
    assert "MAX_RUN_ROWS (10,000 rows)" in run["error_message"], run


@pytest.mark.parametrize("fields", FORMATS, ids=lambda fields: "-".join(map(str, fields.values())))
async def test_a_run_past_the_byte_limit_fails_naming_it_and_leaves_no_file(
    limited_system: LimitedSystem, fields: dict[str, Any]
) -> None:
    run = await _failed_run(limited_system, BIG_ROWS, **fields)
    assert "MAX_RUN_BYTES (1,048,576 bytes of output)" in run["error_message"], run


@pytest.mark.parametrize("output_format", ["CSV", "JSON"])
async def test_one_value_past_the_byte_limit_stops_the_copy_at_once(
    limited_system: LimitedSystem, output_format: str
) -> None:
    """A cancel cannot stop a server in the middle of one huge row: the connection is closed."""
    sql = "SELECT repeat('x', 50000000) AS huge"
    run = await _failed_run(limited_system, sql, output_format=output_format, timeout_seconds=20)
    assert "MAX_RUN_BYTES" in run["error_message"], run


async def test_a_run_past_its_reports_timeout_fails_naming_the_timeout(
    limited_system: LimitedSystem,
) -> None:
    run = await _failed_run(limited_system, "SELECT pg_sleep(10) AS slept", timeout_seconds=1)
    message = run["error_message"]
    assert "ran past its timeout of 1 s" in message, run
    assert "canceling statement due to statement timeout" in message, run


async def test_a_run_within_the_limits_succeeds(limited_system: LimitedSystem) -> None:
    report_id = await create_report(
        limited_system.client, "SELECT g AS n FROM generate_series(1, 10000) AS g"
    )
    run = await run_and_wait(limited_system.client, report_id, WAIT)
    assert (run["status"], run["row_count"]) == ("SUCCESS", 10000), run


async def test_a_timeout_over_the_maximum_is_refused_naming_the_field(
    limited_system: LimitedSystem,
) -> None:
    client = limited_system.client
    refused = await client.post(
        "/api/reports", json={"name": "too slow", "sql_query": "SELECT 1", "timeout_seconds": 31}
    )
    assert refused.status_code == 422
    (error,) = refused.json()["detail"]
    assert error["loc"] == ["body", "timeout_seconds"]
    assert "at most 30 seconds" in error["msg"]
    report_id = await create_report(client, "SELECT 1 AS one", timeout_seconds=30)
    cleared = await client.put(f"/api/reports/{report_id}", json={"timeout_seconds": None})
    assert cleared.status_code == 200
    assert cleared.json()["timeout_seconds"] is None
    too_slow = await client.put(f"/api/reports/{report_id}", json={"timeout_seconds": 3600})
    assert too_slow.status_code == 422
    assert too_slow.json()["detail"][0]["loc"] == ["body", "timeout_seconds"]
