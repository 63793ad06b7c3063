"""A small HTTP port on each worker service: /healthz for orchestrators, /metrics for Prometheus."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.health import failing
from shared.settings import ObservabilitySettings

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[dict[str, str]]]


class _EmbeddedServer(uvicorn.Server):
    """Leaves signal handling to the service: uvicorn would otherwise replace its handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def observability_app(check: HealthCheck) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        checks = await check()
        down = failing(checks)
        return JSONResponse(
            {"status": "unhealthy" if down else "healthy", "checks": checks},
            status_code=503 if down else 200,
        )

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


async def serve_observability(
    settings: ObservabilitySettings, check: HealthCheck, stop: asyncio.Event
) -> None:
    """Serves until `stop` is set; METRICS_PORT=0 turns the port off."""
    if not settings.metrics_port:
        return
    config = uvicorn.Config(
        observability_app(check),
        host=settings.metrics_host,
        port=settings.metrics_port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = _EmbeddedServer(config)
    serving = asyncio.create_task(_serve(server, settings.metrics_port))
    await stop.wait()
    server.should_exit = True
    await serving


async def _serve(server: uvicorn.Server, port: int) -> None:
    try:
        await server.serve()
    except SystemExit:  # uvicorn exits when it cannot bind; the service itself must go on
        log.error("could not listen on port %d: /healthz and /metrics are off", port)
