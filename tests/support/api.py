"""The API application served in-process (lifespan included) to an httpx client signed in as
the admin, and the calls most tests make through it."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.support.accounts import bearer
from tests.support.reports import report_body


@asynccontextmanager
async def api_client(
    settings: ApiSettings, *, as_admin: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """Sends the bootstrap admin's token (REPORTFLOW_ADMIN_TOKEN) unless `as_admin` is False;
    `headers=` on a call acts as someone else (tests.support.accounts)."""
    app = create_app(settings)
    token = settings.reportflow_admin_token
    headers = bearer(token.get_secret_value()) if as_admin and token is not None else {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://reportflow.test",
            headers=headers,
        ) as client,
    ):
        yield client


async def create_report(client: httpx.AsyncClient, sql: str, **fields: Any) -> str:
    response = await client.post("/api/reports", json=report_body(sql_query=sql, **fields))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def run_and_wait(
    client: httpx.AsyncClient, report_id: str, wait_seconds: float
) -> dict[str, Any]:
    """A manual run, answered once it finished (200), whatever its outcome."""
    response = await client.post(f"/api/reports/{report_id}/run", params={"wait": wait_seconds})
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    return run


async def wait_for_health(client: httpx.AsyncClient, status_code: int) -> dict[str, Any]:
    """/health's body once it answers `status_code` (the API connects to RabbitMQ in the
    background, and notices a lost connection a moment after it happened)."""
    for _ in range(300):
        response = await client.get("/health")
        if response.status_code == status_code:
            body: dict[str, Any] = response.json()
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"/health never answered {status_code}")
