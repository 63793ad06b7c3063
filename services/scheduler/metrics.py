"""Prometheus metrics of the scheduler."""

from prometheus_client import Counter, Histogram

SLOTS = Counter(
    "reportflow_scheduler_slots",
    "Due slots by outcome: scheduled, catch_up, already_fired (or report gone), skipped",
    ["outcome"],
)
LATENESS = Histogram(
    "reportflow_scheduler_lateness_seconds",
    "From a slot to its run.requested being published (or handed to the relay)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
