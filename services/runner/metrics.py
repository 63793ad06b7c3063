"""Prometheus metrics of the runner."""

from prometheus_client import Counter, Histogram

RUNS_STARTED = Counter("reportflow_runs_started", "Runs claimed and started by this runner")
RUNS_FINISHED = Counter(
    "reportflow_runs_finished", "Runs this runner finished, by status", ["status"]
)
RUN_DURATION = Histogram(
    "reportflow_run_duration_seconds",
    "From the claim to the recorded outcome",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
ROWS_EXPORTED = Counter("reportflow_rows_exported", "Rows written to report files")
BYTES_EXPORTED = Counter("reportflow_bytes_exported", "Bytes written to report files")
