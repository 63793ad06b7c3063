"""The API application served in-process (lifespan included) to an httpx client."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from services.api.app import create_app
from services.api.settings import ApiSettings


@asynccontextmanager
async def api_client(settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://reportflow.test"
        ) as client,
    ):
        yield client
