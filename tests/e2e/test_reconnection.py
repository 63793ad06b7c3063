"""Services ride out a RabbitMQ or PostgreSQL restart without being restarted, losing no run.

These stop the machine's real servers, so they run last (see `disruptive` in tests/conftest.py).
"""

import asyncio

import asyncpg
import httpx
import pytest

from shared.messaging import Broker
from tests.support import outages
from tests.support.api import wait_for_health
from tests.support.reports import report_body, unique_name
from tests.support.runs import queued_run, wait_for_status
from tests.support.services import ServiceProcess

pytestmark = pytest.mark.disruptive


async def test_a_run_requested_while_rabbitmq_is_down_completes_once_it_is_back(
    client: httpx.AsyncClient, runner: ServiceProcess, database_url: str
) -> None:
    report = (await client.post("/api/reports", json=report_body(sql_query="SELECT 1"))).json()
    await asyncio.to_thread(outages.stop_rabbitmq)
    try:
        down = await wait_for_health(client, 503)
        queued = await client.post(f"/api/reports/{report['id']}/run")
    finally:
        await asyncio.to_thread(outages.start_rabbitmq)

    assert down["failing"] == ["rabbitmq"]
    assert queued.status_code == 202
    await wait_for_health(client, 200)
    db = await asyncpg.connect(database_url)
    try:
        finished = await wait_for_status(db, queued.json()["id"], {"SUCCESS", "FAILED"}, within=60)
    finally:
        await db.close()
    assert finished["status"] == "SUCCESS"
    assert finished["attempt"] == 1


async def test_a_request_delivered_while_postgresql_is_down_is_retried_until_it_runs(
    broker: Broker, runner: ServiceProcess, database_url: str
) -> None:
    db = await asyncpg.connect(database_url)
    event = await queued_run(db, unique_name("PostgreSQL outage"), "SELECT 1 AS one")
    await db.close()
    await asyncio.to_thread(outages.stop_postgres)
    try:
        await broker.publish(event)
        await asyncio.sleep(3)  # the runner cannot claim the run: it hands the message back
    finally:
        await asyncio.to_thread(outages.start_postgres)

    db = await asyncpg.connect(database_url)
    try:
        finished = await wait_for_status(db, event.run_id, {"SUCCESS", "FAILED"}, within=60)
    finally:
        await db.close()
    assert finished["status"] == "SUCCESS"
    assert "handing it back" in runner.log_text()


async def test_api_serves_again_after_a_postgresql_restart(client: httpx.AsyncClient) -> None:
    await asyncio.to_thread(outages.stop_postgres)
    try:
        during = await client.get("/api/reports")
    finally:
        await asyncio.to_thread(outages.start_postgres)
    assert during.status_code == 503
    after = await client.post("/api/reports", json=report_body())
    assert after.status_code == 201
