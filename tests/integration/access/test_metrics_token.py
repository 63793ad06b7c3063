"""With METRICS_TOKEN set, the API's /metrics needs it as a Bearer token (and no other)."""

import httpx
from pydantic import SecretStr

from services.api.settings import ApiSettings
from tests.support.accounts import ADMIN_TOKEN, bearer
from tests.support.api import api_client

METRICS_TOKEN = "m3tr1cs-Scrape-Token-0123456789-abc"


async def test_metrics_need_the_metrics_token_when_it_is_set(api_settings: ApiSettings) -> None:
    settings = api_settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    async with api_client(settings, as_admin=False) as client:
        without = await client.get("/metrics")
        admin = await client.get("/metrics", headers=bearer(ADMIN_TOKEN))
        scraper = await client.get("/metrics", headers=bearer(METRICS_TOKEN))
        health = await client.get("/health")
    assert (without.status_code, admin.status_code, scraper.status_code) == (401, 401, 200)
    assert without.headers["WWW-Authenticate"] == "Bearer"
    assert health.status_code in {200, 503}


async def test_the_api_docs_stay_open(anonymous: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert (await anonymous.get(path)).status_code == 200
