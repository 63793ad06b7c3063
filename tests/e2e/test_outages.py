"""Services ride out PostgreSQL or RabbitMQ going away and coming back, losing no run.

The outages are made by a fault proxy between one service and the machine's server, so the
servers themselves keep running for everyone else; tests/e2e/test_reconnection.py does the same
with real restarts (`make faults`).
"""

import asyncio

import asyncpg
from pydantic import SecretStr

from services.api.settings import ApiSettings
from tests.support.api import api_client, wait_for_health
from tests.support.environment import AMQP_URL
from tests.support.fault_proxy import FaultProxy
from tests.support.reports import report_body, unique_name
from tests.support.runs import publish_in, queued_run, wait_for_status
from tests.support.services import FAST_RECOVERY, ServiceProcess, StartService


async def test_a_run_requested_while_rabbitmq_is_cut_off_completes_once_it_is_back(
    api_settings: ApiSettings,
    runner: ServiceProcess,
    db: asyncpg.Connection,
    rabbitmq_proxy: FaultProxy,
) -> None:
    settings = api_settings.model_copy(update={"amqp_url": SecretStr(rabbitmq_proxy.url(AMQP_URL))})
    async with api_client(settings) as client:
        await wait_for_health(client, 200)
        report = (await client.post("/api/reports", json=report_body(sql_query="SELECT 1"))).json()
        with rabbitmq_proxy.cut_off():
            down = await wait_for_health(client, 503)
            queued = await client.post(f"/api/reports/{report['id']}/run")
        await wait_for_health(client, 200)
        finished = await wait_for_status(db, queued.json()["id"], {"SUCCESS", "FAILED"}, 60)

    assert down["failing"] == ["rabbitmq"]
    assert queued.status_code == 202
    assert finished["status"] == "SUCCESS"
    assert finished["attempt"] == 1


async def test_a_request_delivered_while_postgresql_is_cut_off_is_retried_until_it_runs(
    start_service: StartService,
    db: asyncpg.Connection,
    database_url: str,
    private_namespace: str,
    postgres_proxy: FaultProxy,
) -> None:
    runner = start_service(
        "runner",
        AMQP_NAMESPACE=private_namespace,
        DATABASE_URL=postgres_proxy.url(database_url),
        **FAST_RECOVERY,
    )
    event = await queued_run(db, unique_name("PostgreSQL outage"), "SELECT 1 AS one")
    with postgres_proxy.cut_off():
        await publish_in(AMQP_URL, private_namespace, event)
        await asyncio.to_thread(runner.wait_for_log, "handing it back", 10)

    finished = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"}, within=60)
    assert finished["status"] == "SUCCESS"


async def test_api_serves_again_after_postgresql_was_cut_off(
    api_settings: ApiSettings, database_url: str, postgres_proxy: FaultProxy
) -> None:
    settings = api_settings.model_copy(
        update={"database_url": SecretStr(postgres_proxy.url(database_url))}
    )
    async with api_client(settings) as client:
        before = await client.get("/api/reports")
        with postgres_proxy.cut_off():
            during = await client.get("/api/reports")
            health = await client.get("/health")
        after = await client.post("/api/reports", json=report_body())

    assert before.status_code == 200
    assert during.status_code == 503
    assert "PostgreSQL" in during.json()["detail"]
    assert health.json()["failing"] == ["postgresql"]
    assert after.status_code == 201
