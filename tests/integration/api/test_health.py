"""/health answers 200 when PostgreSQL and RabbitMQ answer, and 503 naming the one that does not."""

import asyncio
import secrets
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from pydantic import SecretStr

from deploy.bootstrap import on_database
from services.api.settings import ApiSettings
from tests.support.api import api_client
from tests.support.environment import AMQP_URL
from tests.support.fault_proxy import FaultProxy
from tests.support.reports import report_body

CLOSED_PORT = 1


async def _health_once_settled(client: httpx.AsyncClient, settled_check: str) -> httpx.Response:
    """The API connects to RabbitMQ in the background: wait until `settled_check` is ok."""
    for _ in range(100):
        response = await client.get("/health")
        if response.json()["checks"][settled_check] == "ok":
            return response
        await asyncio.sleep(0.05)
    return response


async def _health_once_failing(client: httpx.AsyncClient, check: str) -> httpx.Response:
    """A cut connection is noticed when its socket closes: wait until `check` is not ok."""
    for _ in range(100):
        response = await client.get("/health")
        if response.json()["checks"][check] != "ok":
            return response
        await asyncio.sleep(0.05)
    return response


async def test_health_is_200_when_both_dependencies_answer(client: httpx.AsyncClient) -> None:
    response = await _health_once_settled(client, "rabbitmq")
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"


async def test_health_is_503_naming_postgresql_when_it_is_down(api_settings: ApiSettings) -> None:
    settings = api_settings.model_copy(
        update={
            "database_url": SecretStr(f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/reportflow")
        }
    )
    async with api_client(settings) as client:
        response = await _health_once_settled(client, "rabbitmq")
    assert response.status_code == 503
    assert response.json()["failing"] == ["postgresql"]


async def test_health_is_503_naming_rabbitmq_when_it_is_down(api_settings: ApiSettings) -> None:
    settings = api_settings.model_copy(
        update={"amqp_url": SecretStr(f"amqp://guest:guest@127.0.0.1:{CLOSED_PORT}/")}
    )
    async with api_client(settings) as client:
        response = await _health_once_settled(client, "postgresql")
    assert response.status_code == 503
    assert response.json()["failing"] == ["rabbitmq"]


async def test_requests_get_a_503_not_a_500_while_postgresql_is_down(
    api_settings: ApiSettings,
) -> None:
    settings = api_settings.model_copy(
        update={
            "database_url": SecretStr(f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/reportflow")
        }
    )
    async with api_client(settings) as client:
        response = await client.get("/api/reports")
    assert response.status_code == 503
    assert "PostgreSQL" in response.json()["detail"]


async def test_an_unknown_data_source_database_makes_sql_checks_a_503(
    api_settings: ApiSettings,
) -> None:
    unknown = on_database(api_settings.database_dsn, "no_such_database")
    settings = api_settings.model_copy(update={"data_source_url": SecretStr(unknown)})
    async with api_client(settings) as client:
        response = await client.post("/api/reports", json=report_body())
    assert response.status_code == 503
    assert "data source" in response.json()["detail"]


async def test_health_names_postgresql_while_it_is_cut_off_and_recovers_by_itself(
    api_settings: ApiSettings,
) -> None:
    with FaultProxy.for_url(api_settings.database_dsn) as proxy:
        settings = api_settings.model_copy(
            update={"database_url": SecretStr(proxy.url(api_settings.database_dsn))}
        )
        async with api_client(settings) as client:
            before = await _health_once_settled(client, "rabbitmq")
            with proxy.cut_off():
                during = await client.get("/health")
            after = await client.get("/health")
    assert before.status_code == 200
    assert (during.status_code, during.json()["failing"]) == (503, ["postgresql"])
    assert after.status_code == 200


async def test_health_names_rabbitmq_while_it_is_cut_off_and_recovers_by_itself(
    api_settings: ApiSettings,
) -> None:
    with FaultProxy.for_url(AMQP_URL) as proxy:
        settings = api_settings.model_copy(update={"amqp_url": SecretStr(proxy.url(AMQP_URL))})
        async with api_client(settings) as client:
            before = await _health_once_settled(client, "rabbitmq")
            with proxy.cut_off():
                during = await _health_once_failing(client, "rabbitmq")
            after = await _health_once_settled(client, "rabbitmq")
    assert before.status_code == 200
    assert (during.status_code, during.json()["failing"]) == (503, ["rabbitmq"])
    assert after.status_code == 200


async def test_a_database_out_of_connections_is_a_503_not_a_500(
    api_settings: ApiSettings, database_url: str
) -> None:
    """PostgreSQL refusing a connection (SQLSTATE 53300, as when every slot is taken) says
    "try again", like a database that is down; here a role allowed no connections at all."""
    role = f"reportflow_test_no_slots_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")
        parts = urlsplit(database_url)
        limited = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
        settings = api_settings.model_copy(update={"database_url": SecretStr(limited)})
        async with api_client(settings) as client:
            response = await client.get("/api/reports")
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()
    assert response.status_code == 503, response.text
    assert response.json()["detail"] == "PostgreSQL is unavailable; try again shortly"
