"""Prometheus metrics of the notifier."""

from prometheus_client import Counter

NOTIFICATIONS = Counter(
    "reportflow_notifications",
    "E-mail attempts by outcome: sent, failed (for good), deferred (a retry is due)",
    ["status"],
)
