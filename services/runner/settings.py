"""Runner settings: the shared blocks plus how many runs at once and how long each may take."""

import os
import socket

from pydantic import Field

from services.runner.exporters.selector import CsvEngine
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
