"""A report's webhooks through the API: refused where they may not point (a 422 naming the
URL), and write-only: no answer, audit entry or stored column shows the URL or the secret."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from services.api.settings import ApiSettings
from tests.support.api import api_client
from tests.support.reports import report_body

SECRET = "webhook-secret-7f3a9c21"
URL = "http://127.0.0.1:9/hooks/private-path-5e1d"
UNSET = {"url": None, "secret": None, "webhook_url": None, "token": None}


def _webhook(url: str = URL, secret: str = SECRET) -> dict[str, str]:
    return {"type": "webhook", "url": url, "secret": secret}


def _shows_no_secret(text: str) -> bool:
    return SECRET not in text and "private-path-5e1d" not in text


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.7/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/hook",
        "https://2130706434/hook",  # 127.0.0.2, which the test environment does not list
        "http://93.184.215.14/hook",  # plain http to a host that is not listed
    ],
)
async def test_a_webhook_pointing_where_it_may_not_is_a_422_naming_it(
    client: httpx.AsyncClient, url: str
) -> None:
    channels = [_webhook(url="https://93.184.215.14/ok"), _webhook(url=url)]
    response = await client.post("/api/reports", json=report_body(channels=channels))
    assert response.status_code == 422, response.text
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["body", "channels", 1, "url"]
    assert _shows_no_secret(response.text)


async def test_a_webhook_is_shown_by_its_host_only(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = report_body(channels=[_webhook(), _webhook(secret="another-secret-0123456")])
    created = await client.post("/api/reports", json=body)
    assert created.status_code == 201, created.text
    report = created.json()
    shown = [
        {**UNSET, "type": "webhook", "label": "127.0.0.1", "url": "set", "secret": "set"},
        {**UNSET, "type": "webhook", "label": "127.0.0.1 #2", "url": "set", "secret": "set"},
    ]
    assert report["channels"] == shown
    read = await client.get(f"/api/reports/{report['id']}")
    listed = await client.get("/api/reports")
    updated = await client.put(
        f"/api/reports/{report['id']}", json={"channels": [_webhook(secret=SECRET + "-new")]}
    )
    assert updated.json()["channels"] == [shown[0]]
    audit = await client.get("/api/audit", params={"limit": 50})
    stored = await db.fetchval("SELECT channels::text FROM reports WHERE id = $1", report["id"])
    for text in (created.text, read.text, listed.text, updated.text, audit.text, stored):
        assert _shows_no_secret(text)


async def test_a_rejected_webhook_field_is_not_echoed(client: httpx.AsyncClient) -> None:
    short = "short-secret"
    response = await client.post(
        "/api/reports", json=report_body(channels=[_webhook(secret=short)])
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "channels", 0, "webhook", "secret"]
    assert short not in response.text
    assert "private-path-5e1d" not in response.text


@pytest.fixture(scope="module")
async def keyless_client(api_settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(api_settings.model_copy(update={"channel_secrets_key": None})) as client:
        yield client


async def test_without_a_channel_key_a_webhook_cannot_be_saved(
    keyless_client: httpx.AsyncClient,
) -> None:
    response = await keyless_client.post("/api/reports", json=report_body(channels=[_webhook()]))
    assert response.status_code == 503, response.text
    assert "CHANNEL_SECRETS_KEY" in response.text
    plain = await keyless_client.post("/api/reports", json=report_body())
    assert plain.status_code == 201, plain.text


@pytest.fixture(scope="module")
async def unlisted_client(api_settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    settings = api_settings.model_copy(update={"webhook_allowed_hosts": frozenset()})
    async with api_client(settings) as client:
        yield client


async def test_a_host_name_is_checked_by_the_addresses_it_resolves_to(
    unlisted_client: httpx.AsyncClient,
) -> None:
    channels = [_webhook(url="https://localhost:8443/hook")]
    response = await unlisted_client.post("/api/reports", json=report_body(channels=channels))
    assert response.status_code == 422, response.text
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["body", "channels", 0, "url"]
    assert "localhost is 127.0.0.1, a loopback address" in detail["msg"]


async def test_a_teams_channel_is_shown_by_its_host_only(client: httpx.AsyncClient) -> None:
    teams = {"type": "teams", "url": "https://93.184.215.14/workflows/private-path-5e1d"}
    created = await client.post("/api/reports", json=report_body(channels=[teams]))
    assert created.status_code == 201, created.text
    assert created.json()["channels"] == [
        {**UNSET, "type": "teams", "label": "93.184.215.14", "url": "set"}
    ]
    assert _shows_no_secret(created.text)


async def test_a_slack_channel_is_shown_by_its_channel_and_keeps_its_token_secret(
    client: httpx.AsyncClient,
) -> None:
    token = "xoxb-private-path-5e1d"
    slack = {"type": "slack", "token": token, "channel": "C0123TEST"}
    created = await client.post("/api/reports", json=report_body(channels=[slack]))
    assert created.status_code == 201, created.text
    assert created.json()["channels"] == [
        {**UNSET, "type": "slack", "label": "C0123TEST", "token": "set"}
    ]
    assert token not in created.text


@pytest.mark.parametrize(
    "slack",
    [
        {"type": "slack", "channel": "C0123TEST"},
        {"type": "slack", "token": "xoxb-0123456789"},
        {"type": "slack", "webhook_url": "https://10.0.0.1/x", "token": "xoxb-0123456789"},
        {"type": "slack", "token": "xoxb-0123456789", "channel": "bad channel name"},
    ],
)
async def test_a_slack_channel_needs_one_complete_way_in(
    client: httpx.AsyncClient, slack: dict[str, str]
) -> None:
    response = await client.post("/api/reports", json=report_body(channels=[slack]))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:3] == ["body", "channels", 0]
    assert "xoxb-0123456789" not in response.text
