"""Composition root of the scheduler: builds its parts and runs until SIGTERM/SIGINT."""

import logging

from services.scheduler.clock import Clock
from services.scheduler.leadership import Leadership
from services.scheduler.scheduler import Scheduler
from services.scheduler.settings import SchedulerSettings
from shared.worker_runtime import worker_runtime

log = logging.getLogger(__name__)


async def main() -> None:
    settings = SchedulerSettings()
    async with worker_runtime("scheduler", settings, writes_outbox=True) as runtime:
        leadership = Leadership(
            runtime.engine,
            settings.scheduler_leader_retry_seconds,
            enabled=settings.scheduler_leader_election,
        )
        clock = Clock(settings.scheduler_clock_speed, settings.scheduler_clock_epoch)
        scheduler = Scheduler(settings, runtime.sessions, runtime.relay, leadership, clock)
        log.info("service ready: scheduling (leader or standby)")
        await scheduler.run(runtime.stop)
