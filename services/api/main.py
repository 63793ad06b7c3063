"""Composition root of the API: settings, logging, the app, and uvicorn serving it."""

import asyncio

import uvicorn

from services.api.app import create_app
from services.api.settings import ApiSettings
from shared.data_source_policy import check_data_source_at_start
from shared.logs import configure_logging


def main() -> None:
    settings = ApiSettings()
    configure_logging("api", settings)
    asyncio.run(check_data_source_at_start(settings))
    app = create_app(settings)
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_config=None)
