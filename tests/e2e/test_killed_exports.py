"""Scenario 1: the runner is SIGKILLed at random points of a large export, again and again.

The run still completes exactly once, its file is byte-identical to `psql \\copy`, and no
partial file is served or left behind. `make test` kills 3 times during a 200,000-row export;
`bench/faults.py` 10 times during 1,000,000 rows.
"""

import asyncio
import hashlib
import random
import time
import uuid
from pathlib import Path

import asyncpg

from tests.support.environment import AMQP_URL
from tests.support.fault_figures import OUTBOX_GRACE, Figures, record_figures, short_or_long
from tests.support.invariants import assert_invariants
from tests.support.psql import psql_copy_csv
from tests.support.reports import unique_name
from tests.support.runs import publish_in, queued_run, wait_for_status
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY, ServiceProcess

ROWS = short_or_long(200_000, 1_000_000)
KILLS = short_or_long(3, 10)


async def _running_attempt(db: asyncpg.Connection, run_id: uuid.UUID, attempt: int) -> bool:
    """Waits until `attempt` is RUNNING; False if the run finished first."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = await db.fetchrow("SELECT status, attempt FROM report_runs WHERE id = $1", run_id)
        assert run is not None
        if run["status"] in {"SUCCESS", "FAILED"}:
            return False
        if run["status"] == "RUNNING" and run["attempt"] >= attempt:
            return True
        await asyncio.sleep(0.01)
    raise AssertionError(f"attempt {attempt} never started")


async def test_a_run_killed_mid_export_again_and_again_completes_once_and_exactly(
    scenario: Scenario, tmp_path: Path
) -> None:
    db = scenario.db
    table = f"killed_export_{uuid.uuid4().hex[:8]}"
    await scenario.source.add_tables(
        f"CREATE TABLE {table} AS SELECT g AS id, md5(g::text) AS label, now() AS at "
        f"FROM generate_series(1, {ROWS}) AS g"
    )
    query = f"SELECT * FROM {table} ORDER BY id"
    env = {"MAX_ATTEMPTS": str(KILLS + 2), **FAST_RECOVERY}
    started = time.monotonic()
    expected = psql_copy_csv(scenario.source.admin_url, query, tmp_path / "psql.csv")
    export_seconds = time.monotonic() - started  # the kills land within about this long
    seed = random.randrange(1 << 32)
    pick = random.Random(seed)
    runner: ServiceProcess = scenario.start("runner", **env)
    event = await queued_run(db, unique_name("Killed export"), query)
    await publish_in(AMQP_URL, scenario.namespace, event)

    kills = 0
    last_kill = time.monotonic()
    for _ in range(KILLS):
        if not await _running_attempt(db, event.run_id, kills + 1):
            break
        # Within the first part of the export, so that most kills land before it ends.
        await asyncio.sleep(pick.uniform(0, export_seconds * 0.6))
        runner.kill()
        last_kill = time.monotonic()
        status = await db.fetchval("SELECT status FROM report_runs WHERE id = $1", event.run_id)
        kills += status == "RUNNING"  # else the export had finished just before the kill
        runner = scenario.start("runner", **env)

    # A scenario whose export always finished before the kill would prove nothing.
    assert kills >= 1, f"no kill landed during the export (seed {seed})"
    run = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"}, within=90)
    recovery_seconds = time.monotonic() - last_kill
    assert (run["status"], run["row_count"]) == ("SUCCESS", ROWS), (seed, dict(run))
    assert run["attempt"] == kills + 1, seed
    assert run["sha256"] == hashlib.sha256(expected).hexdigest(), seed
    assert Path(run["output_path"]).read_bytes() == expected
    verdict = await assert_invariants(
        db,
        [event.report_id],
        scenario.output_dir,
        requested_runs=[event.run_id],
        outbox_grace=OUTBOX_GRACE,
    )
    record_figures(
        Figures(
            f"1. runner SIGKILLed x{kills} during a {ROWS:,}-row export",
            requested=1,
            completed=1,
            duplicates=verdict.duplicates,
            lost=verdict.lost,
            recovery_seconds=recovery_seconds,
            notes=f"attempts {run['attempt']}, file = psql \\copy, no .part left (seed {seed})",
        )
    )
