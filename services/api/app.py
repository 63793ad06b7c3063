"""Builds the FastAPI application: routes, error handlers and the runtime's lifespan."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from services.api import web_ui
from services.api.authorization import authorize, require_rules_for_every_route
from services.api.body_limit import BodySizeLimit
from services.api.docs import install_docs
from services.api.errors import install_error_handlers
from services.api.input_guard import reject_unencodable_input
from services.api.routes import (
    alerts,
    audit,
    auth,
    health,
    message_preview,
    metrics,
    report_versions,
    reports,
    runs,
    schedule,
    schemas,
    sql,
    timezones,
    tokens,
    users,
)
from services.api.runtime import Runtime
from services.api.security_headers import SecurityHeaders
from services.api.settings import ApiSettings

log = logging.getLogger(__name__)
DESCRIPTION = """Define a SQL report once — query, cron schedule, recipients — and ReportFlow
runs it on time, writes a CSV, JSON or XLSX file, tells the people who need it and keeps
every run."""


def create_app(settings: ApiSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.build(settings)
        app.state.runtime = runtime
        await runtime.start()
        # The same words as the workers', which tests and tooling wait for.
        log.info("service ready: serving the API on %s:%d", settings.api_host, settings.api_port)
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="ReportFlow",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(reject_unencodable_input)],
        docs_url=None,  # install_docs serves them from vendored assets, not a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    install_docs(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: a 413 gets the headers too
    routers = (
        health,
        reports,
        report_versions,
        message_preview,
        runs,
        schedule,
        schemas,
        sql,
        timezones,
        metrics,
        auth,
        users,
        tokens,
        audit,
        alerts,
    )
    for module in (*routers, web_ui):
        app.include_router(module.router, dependencies=[Depends(authorize)])
    require_rules_for_every_route(app)
    return app
