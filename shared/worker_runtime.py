"""What every worker process holds for its life: stop signal, database, broker, the outbox
relay (if it writes outbox rows) and the /healthz + /metrics port; built in order and torn down
in reverse."""

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
    _relay: OutboxRelay | None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def relay(self) -> OutboxRelay:
        """The process's outbox relay; only a service that writes outbox rows has one."""
        if self._relay is None:
            raise RuntimeError("this service writes no outbox rows, so it runs no outbox relay")
        return self._relay

    def run_in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Runs `work` until the service stops; it is cancelled if it has not ended by then."""
        self._tasks.append(asyncio.create_task(work))


@asynccontextmanager
async def worker_runtime(
    service: str, settings: WorkerSettings, *, writes_outbox: bool
) -> AsyncIterator[WorkerRuntime]:
    """Yields once RabbitMQ is connected. A service that `writes_outbox` rows runs a relay that
    publishes them. On exit (after the service's own shutdown steps): pending outbox events are
    published, then background work, broker and database close."""
    configure_logging(service, settings)
    stop = stop_on_signals()
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    broker = Broker(settings)
    await broker.connect(stop)
    relay = OutboxRelay(sessions, broker, settings.outbox_retention) if writes_outbox else None
    runtime = WorkerRuntime(stop, engine, sessions, broker, relay)
    if relay is not None:
        runtime.run_in_background(relay.run(stop))
    runtime.run_in_background(
        serve_observability(settings, lambda: check_dependencies(engine, broker), stop)
    )
    try:
        yield runtime
    finally:
        stop.set()
        if relay is not None:
            await relay.drain()
        for task in runtime._tasks:
            task.cancel()
        await asyncio.gather(*runtime._tasks, return_exceptions=True)
        await broker.close()
        await engine.dispose()
        log.info("%s stopped", service)
