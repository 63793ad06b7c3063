"""Each worker serves /healthz and /metrics on its own port, and the counters move with the work."""

import asyncpg
import httpx

from tests.support.environment import AMQP_URL
from tests.support.metrics import free_port, metric_value
from tests.support.reports import unique_name
from tests.support.runs import publish_in, queued_run, wait_for_status
from tests.support.services import StartService


async def test_runner_health_and_metrics_follow_a_run(
    start_service: StartService, db: asyncpg.Connection, private_namespace: str
) -> None:
    port = free_port()
    start_service("runner", AMQP_NAMESPACE=private_namespace, METRICS_PORT=str(port))
    event = await queued_run(db, unique_name("Observed"), "SELECT generate_series(1, 25) AS n")

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        health = await client.get("/healthz")
        before = (await client.get("/metrics")).text
        await publish_in(AMQP_URL, private_namespace, event)
        finished = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"})
        after = (await client.get("/metrics")).text

    assert health.status_code == 200
    assert health.json()["checks"] == {"postgresql": "ok", "rabbitmq": "ok"}
    assert finished["status"] == "SUCCESS"
    success = 'reportflow_runs_finished_total{status="SUCCESS"}'
    assert metric_value(after, success) == metric_value(before, success) + 1
    assert metric_value(after, "reportflow_runs_started_total") == 1
    assert metric_value(after, "reportflow_rows_exported_total") == 25
    assert metric_value(after, "reportflow_bytes_exported_total") == finished["byte_size"]
    assert metric_value(after, "reportflow_run_duration_seconds_count") == 1
    consumed = 'reportflow_messages_consumed_total{queue="runner.run-requested"}'
    assert metric_value(after, consumed) == 1
