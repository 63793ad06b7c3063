"""The RabbitMQ exchanges and queues, named for what they carry."""

from dataclasses import dataclass, field
from typing import Any

from shared.events import RunCompleted, RunRequested

RUNNER_QUEUE = "runner.run-requested"
NOTIFIER_QUEUE = "notifier.run-completed"


@dataclass(frozen=True)
class QueueSpec:
    """A durable quorum queue, its bindings on the events exchange and its dead-letter queue."""

    name: str
    routing_keys: tuple[str, ...]
    extra_arguments: dict[str, Any] = field(default_factory=dict)


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(RUNNER_QUEUE, (RunRequested.routing_key,)),
    QueueSpec(NOTIFIER_QUEUE, (RunCompleted.routing_key,)),
)


def queue_spec(name: str) -> QueueSpec:
    return next(spec for spec in QUEUES if spec.name == name)


@dataclass(frozen=True)
class Topology:
    """Names within one namespace (empty in production, unique per test run)."""

    namespace: str = ""
    delivery_limit: int = 5

    def name(self, base: str) -> str:
        return f"{self.namespace}.{base}" if self.namespace else base

    @property
    def events_exchange(self) -> str:
        return self.name("reportflow.events")

    @property
    def dead_letter_exchange(self) -> str:
        return self.name("reportflow.dead-letter")

    def queue(self, base: str) -> str:
        return self.name(base)

    def dead_letter_queue(self, base: str) -> str:
        return self.name(f"{base}.dead-letter")

    def queue_arguments(self, spec: QueueSpec) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            # RabbitMQ 3.10 has no default limit: without one a poison message loops forever.
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": self.dead_letter_exchange,
            "x-dead-letter-routing-key": self.queue(spec.name),
            **spec.extra_arguments,
        }
