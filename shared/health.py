"""Whether PostgreSQL and RabbitMQ answer, as the API's /health and the workers' /healthz report."""

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.messaging import Broker

CHECK_TIMEOUT_SECONDS = 3.0
OK = "ok"


async def _postgres(engine: AsyncEngine) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        return f"unavailable: {type(error).__name__}: {error}".strip()
    return OK


def _rabbitmq(broker: Broker) -> str:
    return OK if broker.is_connected else "unavailable: not connected"


async def check_dependencies(engine: AsyncEngine, broker: Broker) -> dict[str, str]:
    """`ok` or the reason, for each dependency by name."""
    return {"postgresql": await _postgres(engine), "rabbitmq": _rabbitmq(broker)}


def failing(checks: dict[str, str]) -> list[str]:
    return [name for name, result in checks.items() if result != OK]
