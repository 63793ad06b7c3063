"""Runner settings: the shared blocks plus how many runs at once and how long each may take."""

import os
import socket

from pydantic import Field

from services.runner.exporters.selector import CsvEngine
from shared.models import MAX_RETENTION_DAYS
from shared.settings import OutputSettings, RunTimeoutSettings, WorkerSettings

GIBIBYTE = 1024**3


def _default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class RunnerSettings(WorkerSettings, OutputSettings, RunTimeoutSettings):
    runner_concurrency: int = Field(default=2, ge=1)
    # A run past either limit is stopped and FAILED naming it, its partial file removed:
    # never a silently truncated file. Bytes are counted before compression.
    max_run_rows: int = Field(default=50_000_000, ge=1)
    max_run_bytes: int = Field(default=10 * GIBIBYTE, ge=1024)
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
    # Retention (services/runner/retention.py). A finished run's file is removed this many days
    # after the run ended (a report's own retention_days wins); the run stays listed.
    output_retention_days: int = Field(default=90, ge=1, le=MAX_RETENTION_DAYS)
    # Unset: run history is kept for ever. Set: finished runs older than this are deleted with
    # their notification_log rows and files, in batches.
    history_retention_days: int | None = Field(default=None, ge=1)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    retention_batch_size: int = Field(default=500, ge=1, le=10_000)
    # A file in OUTPUT_DIR that no kept run names is removed once it is older than this (its run
    # or report was deleted); younger ones may belong to an export still being recorded.
    orphan_file_grace_seconds: float = Field(default=3600.0, ge=0)
