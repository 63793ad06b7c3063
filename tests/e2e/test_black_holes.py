"""Scenario 7: the network path between a worker and PostgreSQL or RabbitMQ silently drops
everything for a while. Queries and publishes time out instead of hanging, consumers resume
afterwards, and the promise holds (tests/support/invariants.py).

`make test` black-holes for 10 s; `bench/faults.py` (and so `make faults`) for 60 s.
"""

import asyncio
import logging
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from services.api.settings import ApiSettings
from shared.health import CHECK_TIMEOUT_SECONDS
from tests.support.api import api_client, create_report, wait_for_health
from tests.support.environment import AMQP_URL
from tests.support.fault_figures import OUTBOX_GRACE, Figures, record_figures, short_or_long
from tests.support.fault_proxy import FaultProxy
from tests.support.invariants import assert_invariants
from tests.support.metrics import free_port
from tests.support.reports import unique_name
from tests.support.runs import publish_in, queued_run, wait_for_status, wait_until_all_finished
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY

BLACK_HOLE_SECONDS = short_or_long(10.0, 60.0)
RUNS_DURING_THE_HOLE = short_or_long(4, 20)
PUBLISH_TIMEOUT_SECONDS = "2"


@pytest.fixture
def publisher_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The in-process API configures logging itself: its publisher's lines, from their logger."""
    logger = logging.getLogger("shared.messaging")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


async def _healthz_while_black_holed(port: int) -> tuple[int, float]:
    """The runner's /healthz status and how long it took to answer."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        response = await client.get("/healthz")
    return response.status_code, time.monotonic() - started


async def _unpublished_requests(db: asyncpg.Connection, report_id: str) -> int:
    count: int = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE published_at IS NULL AND routing_key = 'run.requested' "
        "AND payload ->> 'report_id' = $1",
        report_id,
    )
    return count


async def test_a_runner_cut_off_from_postgresql_by_a_black_hole_times_out_and_resumes(
    scenario: Scenario, postgres_proxy: FaultProxy
) -> None:
    db = scenario.db
    port = free_port()
    scenario.start(
        "runner",
        DATABASE_URL=postgres_proxy.url(scenario.database_url),
        METRICS_PORT=str(port),
        MAX_ATTEMPTS="5",
        # A request whose deliveries all failed within a long hole is dead-lettered; the run
        # is then requested again after this long (15 minutes by default).
        REREQUEST_AFTER_SECONDS="5",
        **FAST_RECOVERY,
    )
    before = await queued_run(db, unique_name("Before the hole"), "SELECT 1 AS one")
    await publish_in(AMQP_URL, scenario.namespace, before)
    await wait_for_status(db, before.run_id, {"SUCCESS"})
    during = [
        await queued_run(db, unique_name("In the hole"), "SELECT generate_series(1, 100) AS n")
        for _ in range(RUNS_DURING_THE_HOLE)
    ]

    with postgres_proxy.black_holed():
        hole_opened = time.monotonic()
        for event in during:
            await publish_in(AMQP_URL, scenario.namespace, event)
        health, answered_in = await _healthz_while_black_holed(port)
        await asyncio.sleep(BLACK_HOLE_SECONDS - (time.monotonic() - hole_opened))

    hole_closed = time.monotonic()
    runs = await wait_until_all_finished(db, [event.run_id for event in during], within=60)
    recovery_seconds = time.monotonic() - hole_closed
    # Within the check's own timeout plus scheduling slack (the runner is also timing out its
    # claims meanwhile): it answers, where an unbounded check would hang for the whole hole.
    assert health == 503
    assert answered_in < CHECK_TIMEOUT_SECONDS + 3, f"/healthz took {answered_in:.1f} s"
    assert {run["status"] for run in runs} == {"SUCCESS"}
    report_ids = [event.report_id for event in [before, *during]]
    verdict = await assert_invariants(
        db,
        report_ids,
        scenario.output_dir,
        requested_runs=[event.run_id for event in [before, *during]],
        outbox_grace=OUTBOX_GRACE,
    )
    record_figures(
        Figures(
            f"7. runner <-> PostgreSQL black-holed {BLACK_HOLE_SECONDS:.0f} s",
            requested=len(runs),
            completed=len(runs),
            duplicates=verdict.duplicates,
            lost=verdict.lost,
            recovery_seconds=recovery_seconds,
            notes=f"/healthz 503 after {answered_in:.1f} s",
        )
    )


async def test_publishes_into_a_black_holed_rabbitmq_time_out_and_consumers_resume(
    api_settings: ApiSettings,
    scenario: Scenario,
    rabbitmq_proxy: FaultProxy,
    publisher_log: pytest.LogCaptureFixture,
) -> None:
    db = scenario.db
    through_proxy = rabbitmq_proxy.url(AMQP_URL)
    runner = scenario.start(
        "runner",
        AMQP_URL=through_proxy,
        PUBLISH_TIMEOUT_SECONDS=PUBLISH_TIMEOUT_SECONDS,
        **FAST_RECOVERY,
    )
    settings = scenario.api_settings(
        api_settings,
        amqp_url=SecretStr(through_proxy),
        publish_timeout_seconds=float(PUBLISH_TIMEOUT_SECONDS),
    )
    async with api_client(settings) as client:
        report_id = await create_report(client, "SELECT 1 AS one")
        await wait_for_health(client, 200)  # connected to RabbitMQ before the hole opens
        with rabbitmq_proxy.black_holed():
            hole_opened = time.monotonic()
            requested = [
                await client.post(f"/api/reports/{report_id}/run")
                for _ in range(RUNS_DURING_THE_HOLE)
            ]
            answered_in = time.monotonic() - hole_opened
            await asyncio.sleep(BLACK_HOLE_SECONDS - (time.monotonic() - hole_opened))
            unpublished = await _unpublished_requests(db, report_id)
            # The API's relay or the runner's (both relay the one outbox) sent them.
            timed_out = "unconfirmed" in publisher_log.text + runner.log_text()
        hole_closed = time.monotonic()
        run_ids = [response.json()["id"] for response in requested]
        runs = await wait_until_all_finished(db, run_ids, within=60)
        recovery_seconds = time.monotonic() - hole_closed

    assert [response.status_code for response in requested] == [202] * RUNS_DURING_THE_HOLE
    assert answered_in < 2.0  # the requests wait in the outbox, not on RabbitMQ
    # Sent but never confirmed: the relay gave up on each publish after its timeout and kept
    # the rows, rather than hanging or marking them published.
    assert timed_out
    assert unpublished == RUNS_DURING_THE_HOLE
    assert [(run["status"], run["attempt"]) for run in runs] == [("SUCCESS", 1)] * len(runs)
    verdict = await assert_invariants(
        db, [report_id], scenario.output_dir, requested_runs=run_ids, outbox_grace=OUTBOX_GRACE
    )
    record_figures(
        Figures(
            f"7. API and runner <-> RabbitMQ black-holed {BLACK_HOLE_SECONDS:.0f} s",
            requested=len(runs),
            completed=len(runs),
            duplicates=verdict.duplicates,
            lost=verdict.lost,
            recovery_seconds=recovery_seconds,
            notes="publishes timed out after 2 s; every run attempt 1",
        )
    )
