"""What the API process holds for its lifetime, built and torn down by the app's lifespan."""

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.api.accounts import retry_bootstrap_admin, try_bootstrap_admin
from services.api.run_finishes import RunFinishes
from services.api.settings import ApiSettings
from services.api.sql_check import SqlChecker
from shared.database import REQUEST_COMMAND_TIMEOUT_SECONDS, create_engine, create_sessionmaker
from shared.messaging import Broker
from shared.outbox import OutboxRelay

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: ApiSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: Broker
    relay: OutboxRelay
    sql_checker: SqlChecker
    finishes: RunFinishes
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: ApiSettings) -> "Runtime":
        engine = create_engine(settings, REQUEST_COMMAND_TIMEOUT_SECONDS)
        sessions = create_sessionmaker(engine)
        broker = Broker(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            broker=broker,
            relay=OutboxRelay(sessions, broker, settings.outbox_retention),
            sql_checker=SqlChecker(settings, settings.sql_check_timeout_seconds),
            finishes=RunFinishes(settings.database_dsn, sessions),
        )

    async def start(self) -> None:
        """Requests are served at once; RabbitMQ is connected in the background, since runs
        requested meanwhile wait safely in the outbox. The first admin is created first, or
        in the background while PostgreSQL does not answer."""
        self.tasks = [
            asyncio.create_task(self._connect_then_relay()),
            asyncio.create_task(self.finishes.listen(self.stop)),
            asyncio.create_task(self.finishes.sweep(self.stop)),
        ]
        if not await try_bootstrap_admin(self.sessions, self.settings):
            self.tasks.append(
                asyncio.create_task(retry_bootstrap_admin(self.sessions, self.settings, self.stop))
            )

    async def _connect_then_relay(self) -> None:
        await self.broker.connect(self.stop)
        await self.relay.run(self.stop)

    async def close(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.broker.is_connected:
            await self.relay.drain()
        await self.broker.close()
        await self.sql_checker.close()
        await self.engine.dispose()
