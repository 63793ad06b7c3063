"""Health: 200 when PostgreSQL and RabbitMQ answer, 503 naming the one that does not."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.api.dependencies import RuntimeDep
from shared.health import check_dependencies, failing

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "A dependency does not answer"}})
async def health(runtime: RuntimeDep) -> JSONResponse:
    checks = await check_dependencies(runtime.engine, runtime.broker)
    down = failing(checks)
    if not down:
        return JSONResponse({"status": "healthy", "checks": checks})
    return JSONResponse({"status": "unhealthy", "failing": down, "checks": checks}, status_code=503)
