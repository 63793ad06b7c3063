"""Scenario 6: a malformed `run.requested` and one for a run that does not exist arrive among
healthy requests. The malformed one is dead-lettered without retries, the unknown run is
skipped (there is nothing to run or lose), and every healthy run completes."""

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import pytest

from shared.events import RunRequested
from shared.messaging import Broker
from shared.models import RunTrigger
from shared.settings import BrokerSettings
from shared.topology import RUNNER_QUEUE
from tests.support.environment import AMQP_URL
from tests.support.fault_figures import OUTBOX_GRACE, Figures, record_figures, short_or_long
from tests.support.invariants import assert_invariants
from tests.support.reports import unique_name
from tests.support.runs import queued_run, wait_until_all_finished
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY

HEALTHY_RUNS = short_or_long(10, 200)


@pytest.fixture
async def namespace_broker(scenario: Scenario) -> AsyncIterator[Broker]:
    broker = Broker(BrokerSettings(amqp_url=AMQP_URL, amqp_namespace=scenario.namespace))
    await broker.connect()
    yield broker
    await broker.close()


async def _dead_letters(broker: Broker) -> int:
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(
            broker.topology.dead_letter_queue(RUNNER_QUEUE), passive=True
        )
        return queue.declaration_result.message_count or 0
    finally:
        await connection.close()


async def test_poison_requests_are_set_aside_and_healthy_runs_all_complete(
    scenario: Scenario, namespace_broker: Broker
) -> None:
    db = scenario.db
    runner = scenario.start("runner", **FAST_RECOVERY)
    unknown = RunRequested(
        run_id=uuid.uuid4(),
        report_id=uuid.uuid4(),
        trigger=RunTrigger.MANUAL,
        requested_at=datetime.now(UTC),
    )
    healthy = [
        await queued_run(db, unique_name("Healthy"), "SELECT generate_series(1, 10) AS n")
        for _ in range(HEALTHY_RUNS)
    ]

    await namespace_broker.publish_raw("run.requested", b'{"run_id": "not a uuid"}', "poison-1")
    await namespace_broker.publish(unknown)
    started = time.monotonic()
    for event in healthy:
        await namespace_broker.publish(event)

    runs = await wait_until_all_finished(db, [event.run_id for event in healthy], within=120)
    healthy_seconds = time.monotonic() - started
    assert {run["status"] for run in runs} == {"SUCCESS"}
    assert await _dead_letters(namespace_broker) == 1
    assert "dead-lettering an undecodable" in runner.log_text()
    assert f"skipping [run_id={unknown.run_id}" in runner.log_text()
    verdict = await assert_invariants(
        db,
        [event.report_id for event in healthy],
        scenario.output_dir,
        requested_runs=[event.run_id for event in healthy],
        outbox_grace=OUTBOX_GRACE,
    )
    record_figures(
        Figures(
            "6. malformed + unknown-run requests among healthy ones",
            requested=len(runs),
            completed=len(runs),
            duplicates=verdict.duplicates,
            lost=verdict.lost,
            recovery_seconds=None,
            notes=f"{len(runs)} healthy runs done in {healthy_seconds:.1f} s; 1 dead-lettered",
        )
    )
