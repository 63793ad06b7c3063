"""What every worker process holds for its life: stop signal, database, broker, outbox relay,
and the /healthz + /metrics port; built in order and torn down in reverse."""

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.database import create_engine, create_sessionmaker
from shared.health import check_dependencies
from shared.lifecycle import stop_on_signals
from shared.logs import configure_logging
from shared.messaging import Broker
from shared.observability import serve_observability
from shared.outbox import OutboxRelay
from shared.settings import WorkerSettings

log = logging.getLogger(__name__)


@dataclass
class WorkerRuntime:
    stop: asyncio.Event
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: Broker
    relay: OutboxRelay
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def run_in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Runs `work` until the service stops; it is cancelled if it has not ended by then."""
        self._tasks.append(asyncio.create_task(work))


@asynccontextmanager
async def worker_runtime(service: str, settings: WorkerSettings) -> AsyncIterator[WorkerRuntime]:
    """Yields once RabbitMQ is connected. On exit (after the service's own shutdown steps):
    pending outbox events are published, then background work, broker and database close."""
    configure_logging(service, settings)
    stop = stop_on_signals()
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    broker = Broker(settings)
    await broker.connect(stop)
    relay = OutboxRelay(sessions, broker, settings.outbox_retention)
    runtime = WorkerRuntime(stop, engine, sessions, broker, relay)
    runtime.run_in_background(runtime.relay.run(stop))
    runtime.run_in_background(
        serve_observability(settings, lambda: check_dependencies(engine, broker), stop)
    )
    try:
        yield runtime
    finally:
        stop.set()
        await runtime.relay.drain()
        for task in runtime._tasks:
            task.cancel()
        await asyncio.gather(*runtime._tasks, return_exceptions=True)
        await broker.close()
        await engine.dispose()
        log.info("%s stopped", service)
