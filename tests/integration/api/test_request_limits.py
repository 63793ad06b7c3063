"""Every input has a limit: a body over MAX_REQUEST_BYTES is a 413 before it is read in full,
and a report field over its limit is a 422 naming the field."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.api.settings import ApiSettings
from tests.support.api import api_client
from tests.support.reports import report_body

CHUNK = b"x" * 65536


def _error(response: httpx.Response) -> dict[str, Any]:
    detail: dict[str, Any] = response.json()["detail"][0]
    return detail


async def test_a_body_declared_too_large_is_a_413(
    client: httpx.AsyncClient, api_settings: ApiSettings
) -> None:
    body = b"{" + b" " * api_settings.max_request_bytes + b"}"
    response = await client.post(
        "/api/reports", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert "MAX_REQUEST_BYTES" in response.json()["detail"]


async def test_a_chunked_body_is_cut_off_once_it_crosses_the_limit(
    client: httpx.AsyncClient, api_settings: ApiSettings
) -> None:
    total_chunks = 10 * api_settings.max_request_bytes // len(CHUNK)
    sent = 0

    async def endless_json() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(total_chunks):
            sent += 1
            yield CHUNK

    response = await client.post(
        "/api/reports", content=endless_json(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert "content-length" not in response.request.headers
    assert sent <= api_settings.max_request_bytes // len(CHUNK) + 2


async def test_a_body_within_the_limit_is_served(client: httpx.AsyncClient) -> None:
    body = report_body(description="d" * 10_000)
    assert (await client.post("/api/reports", json=body)).status_code == 201


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "n" * 201}, "name"),
        ({"description": "d" * 10_001}, "description"),
        ({"sql_query": "SELECT 1 AS one -- " + "x" * 100_000}, "sql_query"),
        ({"recipients": [f"r{index}@example.com" for index in range(101)]}, "recipients"),
    ],
)
async def test_a_report_field_over_its_limit_is_a_422_naming_it(
    client: httpx.AsyncClient, fields: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/reports", json=report_body(**fields))
    assert response.status_code == 422, response.text
    assert _error(response)["loc"] == ["body", field]
    report = (await client.post("/api/reports", json=report_body())).json()
    response = await client.put(f"/api/reports/{report['id']}", json=fields)
    assert response.status_code == 422, response.text
    assert _error(response)["loc"] == ["body", field]


async def test_fields_at_their_limits_are_accepted(client: httpx.AsyncClient) -> None:
    body = report_body(
        description="d" * 10_000,
        recipients=[f"r{index}@example.com" for index in range(100)],
    )
    body["name"] = (body["name"] + "n" * 200)[:200]
    response = await client.post("/api/reports", json=body)
    assert response.status_code == 201, response.text
    assert len(response.json()["recipients"]) == 100


async def test_limits_are_settings(api_settings: ApiSettings) -> None:
    settings = api_settings.model_copy(update={"max_report_recipients": 1})
    async with api_client(settings) as client:
        recipients = ["a@example.com", "b@example.com"]
        response = await client.post("/api/reports", json=report_body(recipients=recipients))
    assert response.status_code == 422, response.text
    assert "MAX_REPORT_RECIPIENTS" in _error(response)["msg"]
