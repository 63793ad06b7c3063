"""Health: 200 when PostgreSQL and RabbitMQ answer, 503 naming the one that does not."""

from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from services.api.dependencies import DependencyChecksDep
from shared.health import failing

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["healthy", "unhealthy"]
    # Only when unhealthy: the dependencies that do not answer.
    failing: list[str] | None = None
    checks: dict[str, str]


@router.get(
    "/health",
    response_model_exclude_none=True,
    responses={503: {"model": Health, "description": "A dependency does not answer"}},
)
async def health(checks: DependencyChecksDep, response: Response) -> Health:
    down = failing(checks)
    if not down:
        return Health(status="healthy", checks=checks)
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="unhealthy", failing=down, checks=checks)
