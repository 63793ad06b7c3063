"""Composition root of the runner: builds its parts and runs until SIGTERM/SIGINT."""

import logging

from services.runner.exporters.limits import RunLimits
from services.runner.exporters.selector import Exporter
from services.runner.recovery import run_recovery
from services.runner.retention import run_retention
from services.runner.settings import RunnerSettings
from services.runner.worker import RunWorker
from shared.data_source_policy import check_data_source_when_reachable
from shared.topology import RUNNER_QUEUE
from shared.worker_runtime import worker_runtime

log = logging.getLogger(__name__)


async def main() -> None:
    settings = RunnerSettings()
    async with worker_runtime("runner", settings, writes_outbox=True) as runtime:
        data_source_url = await check_data_source_when_reachable(settings, runtime.stop)
        if data_source_url is None:
            return
        exporter = Exporter(
            data_source_url,
            settings.output_dir,
            settings.statement_timeout_seconds,
            settings.csv_engine,
            settings.export_batch_rows,
            RunLimits(settings.max_run_rows, settings.max_run_bytes),
            keep_connections=settings.runner_concurrency,
        )
        worker = RunWorker(settings, runtime.sessions, runtime.broker, runtime.relay, exporter)
        runtime.run_in_background(
            run_recovery(runtime.sessions, settings, runtime.relay, runtime.stop)
        )
        runtime.run_in_background(run_retention(runtime.sessions, settings, runtime.stop))
        await runtime.broker.consume(
            RUNNER_QUEUE, worker.handle, prefetch=settings.runner_concurrency
        )
        log.info("service ready: consuming %s as %s", RUNNER_QUEUE, settings.worker_id)
        await runtime.stop.wait()
        await runtime.broker.stop_consuming()
        await worker.drain(settings.shutdown_timeout_seconds)
        await exporter.close()
