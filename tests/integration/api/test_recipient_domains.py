"""ALLOWED_RECIPIENT_DOMAINS: a report saved with a recipient outside it is a 422 naming the
recipient; a listed internal domain (corp.local) is accepted although it is not public."""

from collections.abc import AsyncIterator

import httpx
import pytest

from services.api.settings import ApiSettings
from tests.support.api import api_client
from tests.support.reports import report_body


@pytest.fixture(scope="module")
async def restricted_client(api_settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    domains = frozenset({"corp.local", "example.com"})
    async with api_client(
        api_settings.model_copy(update={"allowed_recipient_domains": domains})
    ) as client:
        yield client


async def test_a_listed_internal_domain_is_accepted(restricted_client: httpx.AsyncClient) -> None:
    recipients = ["Ops.Team@Corp.Local", "finance@example.com"]
    response = await restricted_client.post("/api/reports", json=report_body(recipients=recipients))
    assert response.status_code == 201, response.text
    assert response.json()["recipients"] == ["Ops.Team@corp.local", "finance@example.com"]


async def test_a_recipient_outside_the_list_is_named(
    restricted_client: httpx.AsyncClient,
) -> None:
    recipients = ["finance@example.com", "victim@elsewhere.org"]
    response = await restricted_client.post("/api/reports", json=report_body(recipients=recipients))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "recipients", 1]
    assert "victim@elsewhere.org" in detail["msg"]
    assert "ALLOWED_RECIPIENT_DOMAINS" in detail["msg"]


async def test_the_list_applies_to_updates(restricted_client: httpx.AsyncClient) -> None:
    report = (await restricted_client.post("/api/reports", json=report_body())).json()
    response = await restricted_client.put(
        f"/api/reports/{report['id']}", json={"recipients": ["someone@sub.example.com"]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "recipients", 0]


async def test_a_listed_domain_still_needs_a_valid_local_part(
    restricted_client: httpx.AsyncClient,
) -> None:
    response = await restricted_client.post(
        "/api/reports", json=report_body(recipients=["two..dots@corp.local"])
    )
    assert response.status_code == 422, response.text
    assert "not a valid email address" in response.json()["detail"][0]["msg"]


async def test_without_a_list_special_use_domains_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/reports", json=report_body(recipients=["ops@corp.local"]))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "recipients", 0]
