"""Runner settings: the shared blocks plus how many runs at once and how long each may take."""

import os
import socket

from pydantic import Field

from services.runner.exporters.selector import CsvEngine
from shared.settings import OutputSettings, WorkerSettings


def _default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class RunnerSettings(WorkerSettings, OutputSettings):
    runner_concurrency: int = Field(default=2, ge=1)
    # Cancels a report query that runs longer than this (PostgreSQL statement_timeout).
    statement_timeout_seconds: float = Field(default=3600.0, gt=0)
    # A claimed run is the runner's for this long and renewed every third of it; a run whose
    # lease expired (its runner died) is queued again, or FAILED after max_attempts claims.
    lease_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    # How often a RUNNING run's progress is recorded and a cancel request looked for (with
    # the lease renewal, which happens at least every third of the lease).
    progress_interval_seconds: float = Field(default=1.0, gt=0)
    # A scheduled run of a report with `overlap: queue` whose previous run is still RUNNING
    # is looked at again after this long.
    overlap_wait_seconds: float = Field(default=5.0, gt=0)
    # How long a delivery may wait for a free slot before it goes back to the queue, well
    # below RabbitMQ's 30-minute consumer timeout.
    slot_wait_seconds: float = Field(default=60.0, gt=0)
    # A QUEUED run whose request is older than this is requested again (its message was lost
    # or dead-lettered); harmless if it was merely waiting, since a run is claimed once.
    rerequest_after_seconds: float = Field(default=900.0, gt=0)
    recovery_interval_seconds: float = Field(default=5.0, gt=0)
    worker_id: str = Field(default_factory=_default_worker_id)
    # `copy` lets PostgreSQL write CSV and JSON (COPY ... TO STDOUT); `cursor` reads rows through
    # a server-side cursor instead, for PostgreSQL-compatible sources without COPY TO STDOUT.
    csv_engine: CsvEngine = CsvEngine.COPY
    # Rows fetched per round trip by the cursor engine and the XLSX writer (bounds memory).
    export_batch_rows: int = Field(default=2_000, ge=1)
