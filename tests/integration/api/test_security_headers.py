"""Security headers on every answer (unknown paths and the catch-all 500 included); the docs
pages load only this origin's vendored assets, with a nonce for their inline scripts."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.support.reports import report_body

EXPECTED_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
# Any absolute or protocol-relative URL: the pages must not name another host.
OTHER_HOST = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+")
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


def _assert_secured(response: httpx.Response) -> None:
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health"),
        ("GET", "/api/reports"),
        ("GET", "/api/reports/00000000-0000-0000-0000-000000000000"),
        ("GET", "/api/reports/not-a-uuid"),
        ("GET", "/openapi.json"),
        ("GET", "/no/such/route"),
        ("GET", "/metrics"),
        ("GET", "/static/swagger-ui/swagger-ui.css"),
    ],
)
async def test_every_answer_carries_the_security_headers(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    _assert_secured(await client.request(method, path))


async def test_a_refused_body_carries_them_too(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/reports",
        content=b" " * (2 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    _assert_secured(response)
    created = await client.post("/api/reports", json=report_body())
    _assert_secured(created)


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_docs_pages_reference_no_other_host(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert OTHER_HOST.findall(response.text) == []
    _assert_secured(response)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_assets_a_docs_page_names_are_served(
    client: httpx.AsyncClient, page: str
) -> None:
    html = (await client.get(page)).text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert assets
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100


async def test_inline_scripts_run_only_with_the_answers_own_nonce(
    client: httpx.AsyncClient,
) -> None:
    first, second = await client.get("/docs"), await client.get("/docs")
    nonces = []
    for response in (first, second):
        (nonce,) = NONCE.findall(response.headers["content-security-policy"])
        inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
        assert inline_scripts
        assert all(f'nonce="{nonce}"' in attributes for attributes in inline_scripts)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.fixture
async def crashing_client(api_settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with one extra route that fails with an error no handler expects."""
    app = create_app(api_settings)

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("an error no handler expects")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://reportflow.test") as client,
    ):
        yield client


async def test_the_catch_all_500_carries_them_too(crashing_client: httpx.AsyncClient) -> None:
    response = await crashing_client.get("/crash")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; the API log has the details"}
    _assert_secured(response)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/route", 404),
        ("POST", "/api/no-such-route", 404),
        ("GET", "/static/no-such-asset.js", 404),
        ("PATCH", "/api/reports", 405),
    ],
)
async def test_unknown_paths_and_methods_carry_them_too(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    _assert_secured(response)
