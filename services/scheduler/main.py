"""Composition root of the scheduler: builds its parts and runs until SIGTERM/SIGINT."""

import logging

from services.scheduler.clock import Clock
from services.scheduler.leadership import Leadership
from services.scheduler.scheduler import Scheduler
from services.scheduler.settings import SchedulerSettings
from services.scheduler.simulation import SchedulerSimulationSettings
from shared.worker_runtime import worker_runtime

log = logging.getLogger(__name__)


async def main() -> None:
    settings = SchedulerSettings()
    simulation = SchedulerSimulationSettings()
    async with worker_runtime("scheduler", settings, writes_outbox=True) as runtime:
        if simulation.active:
            log.warning("test-only simulation settings in effect: %r", simulation)
        leadership = Leadership(
            runtime.engine,
            settings.scheduler_leader_retry_seconds,
            enabled=not simulation.without_leader_election,
        )
        clock = Clock(simulation.clock_speed, simulation.clock_epoch, simulation.clock_start)
        scheduler = Scheduler(settings, runtime.sessions, runtime.relay, leadership, clock)
        log.info("service ready: scheduling (leader or standby)")
        await scheduler.run(runtime.stop)
