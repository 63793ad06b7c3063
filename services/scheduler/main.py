"""Composition root of the scheduler: builds its parts and runs until SIGTERM/SIGINT."""

import asyncio
import logging

from services.scheduler.clock import Clock
from services.scheduler.leadership import Leadership
from services.scheduler.scheduler import Scheduler
from services.scheduler.settings import SchedulerSettings
from shared.database import create_engine, create_sessionmaker
from shared.health import check_dependencies
from shared.lifecycle import stop_on_signals
from shared.logs import configure_logging
from shared.messaging import Broker
from shared.observability import serve_observability
from shared.outbox import OutboxRelay

log = logging.getLogger(__name__)


async def main() -> None:
    settings = SchedulerSettings()
    configure_logging("scheduler", settings)
    stop = stop_on_signals()
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    broker = Broker(settings)
    await broker.connect(stop)
    relay = OutboxRelay(sessions, broker)
    leadership = Leadership(
        engine,
        settings.scheduler_leader_retry_seconds,
        enabled=settings.scheduler_leader_election,
    )
    clock = Clock(settings.scheduler_clock_speed, settings.scheduler_clock_epoch)
    scheduler = Scheduler(settings, sessions, relay, leadership, clock)
    tasks = [
        asyncio.create_task(relay.run(stop)),
        asyncio.create_task(scheduler.run(stop)),
        asyncio.create_task(
            serve_observability(settings, lambda: check_dependencies(engine, broker), stop)
        ),
    ]
    log.info("service ready: scheduling (leader or standby)")
    await stop.wait()
    await asyncio.gather(*tasks, return_exceptions=True)
    await relay.drain()
    await broker.close()
    await engine.dispose()
    log.info("scheduler stopped")
