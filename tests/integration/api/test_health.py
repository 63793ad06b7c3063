"""/health answers 200 when PostgreSQL and RabbitMQ answer, and 503 naming the one that does not."""

import asyncio

import httpx
from pydantic import SecretStr

from services.api.settings import ApiSettings
from tests.support.api import api_client
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
    base = api_settings.database_dsn.rpartition("/")[0]
    settings = api_settings.model_copy(
        update={"data_source_url": SecretStr(f"{base}/no_such_database")}
    )
    async with api_client(settings) as client:
        response = await client.post("/api/reports", json=report_body())
    assert response.status_code == 503
    assert "data source" in response.json()["detail"]
