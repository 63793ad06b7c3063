"""Health: 200 when PostgreSQL and RabbitMQ answer, 503 naming the one that does not."""

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from services.api.dependencies import RuntimeDep
from services.api.runtime import Runtime

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_SECONDS = 3.0


async def _postgres(runtime: Runtime) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        return f"unavailable: {type(error).__name__}: {error}".strip()
    return "ok"


def _rabbitmq(runtime: Runtime) -> str:
    return "ok" if runtime.broker.is_connected else "unavailable: not connected"


@router.get("/health", responses={503: {"description": "A dependency does not answer"}})
async def health(runtime: RuntimeDep) -> JSONResponse:
    checks = {"postgresql": await _postgres(runtime), "rabbitmq": _rabbitmq(runtime)}
    failing = [name for name, result in checks.items() if result != "ok"]
    if not failing:
        return JSONResponse({"status": "healthy", "checks": checks})
    return JSONResponse(
        {"status": "unhealthy", "failing": failing, "checks": checks}, status_code=503
    )
