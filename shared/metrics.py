"""Prometheus metrics of the messaging plumbing, shared by every service that consumes."""

from prometheus_client import Counter

MESSAGES_CONSUMED = Counter(
    "reportflow_messages_consumed",
    "Messages handled and acknowledged, by queue",
    ["queue"],
)
MESSAGES_FAILED = Counter(
    "reportflow_messages_failed",
    "Message deliveries whose handling failed and that were handed back for a retry",
    ["queue"],
)
MESSAGES_DEAD_LETTERED = Counter(
    "reportflow_messages_dead_lettered",
    "Messages rejected to their dead-letter queue (undecodable or permanently failing)",
    ["queue"],
)
EVENTS_PUBLISHED = Counter(
    "reportflow_events_published",
    "Events confirmed by RabbitMQ, by routing key",
    ["routing_key"],
)
