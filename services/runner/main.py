"""Composition root of the runner: builds its parts and runs until SIGTERM/SIGINT."""

import asyncio
import logging

from services.runner.exporters.selector import Exporter
from services.runner.recovery import run_recovery
from services.runner.settings import RunnerSettings
from services.runner.worker import RunWorker
from shared.database import create_engine, create_sessionmaker
from shared.health import check_dependencies
from shared.lifecycle import stop_on_signals
from shared.logs import configure_logging
from shared.messaging import Broker
from shared.observability import serve_observability
from shared.outbox import OutboxRelay
from shared.topology import RUNNER_QUEUE

log = logging.getLogger(__name__)


async def main() -> None:
    settings = RunnerSettings()
    configure_logging("runner", settings)
    stop = stop_on_signals()
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    broker = Broker(settings)
    await broker.connect(stop)
    relay = OutboxRelay(sessions, broker)
    exporter = Exporter(
        settings.effective_data_source_url,
        settings.output_dir,
        settings.statement_timeout_seconds,
        settings.csv_engine,
        settings.export_batch_rows,
    )
    worker = RunWorker(settings, sessions, broker, relay, exporter)
    background = [
        asyncio.create_task(relay.run(stop)),
        asyncio.create_task(run_recovery(sessions, settings, relay, stop)),
        asyncio.create_task(
            serve_observability(settings, lambda: check_dependencies(engine, broker), stop)
        ),
    ]
    await broker.consume(RUNNER_QUEUE, worker.handle, prefetch=settings.runner_concurrency)
    log.info("service ready: consuming %s as %s", RUNNER_QUEUE, settings.worker_id)
    await stop.wait()
    await broker.stop_consuming()
    await worker.drain(settings.shutdown_timeout_seconds)
    await relay.drain()
    for task in background:
        task.cancel()
    await asyncio.gather(*background, return_exceptions=True)
    await broker.close()
    await engine.dispose()
    log.info("runner stopped")
