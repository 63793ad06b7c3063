"""The RabbitMQ exchanges and queues, named for what they carry."""

from dataclasses import dataclass, field
from typing import Any

from shared.events import NotificationDeferred, ResendRequested, RunCompleted, RunRequested

RUNNER_QUEUE = "runner.run-requested"
NOTIFIER_QUEUE = "notifier.run-completed"
NOTIFIER_RETRY_QUEUE = "notifier.notification-deferred"
# Delay queues for deferred notifications, one per retry attempt (the last one serves every
# later attempt). Messages carry their own expiration and, once expired, are dead-lettered onto
# the events exchange as `notification.deferred`, which NOTIFIER_RETRY_QUEUE receives.
NOTIFICATION_DELAY_TIERS = 5


@dataclass(frozen=True)
class QueueSpec:
    """A durable quorum queue, its bindings on the events exchange and its dead-letter queue."""

    name: str
    routing_keys: tuple[str, ...]
    extra_arguments: dict[str, Any] = field(default_factory=dict)
    # When set, expired or rejected messages go back to the events exchange with this routing
    # key instead of to the dead-letter queue: how a delay queue hands its messages on.
    dead_letter_routing_key: str | None = None
    # The queue whose consumer declares this one, when it has no consumer of its own (a delay
    # queue belongs to the consumer it feeds); None: the queue's own consumer declares it.
    declared_with: str | None = None


def delay_routing_key(routing_key: str, tier: int) -> str:
    """The routing key that parks an event in its delay queue for retry `tier` (1-based)."""
    return f"{routing_key}.delay-{min(max(tier, 1), NOTIFICATION_DELAY_TIERS)}"


def _delay_queues(routing_key: str, base: str) -> tuple[QueueSpec, ...]:
    return tuple(
        QueueSpec(
            f"{base}.delay-{tier}",
            (delay_routing_key(routing_key, tier),),
            dead_letter_routing_key=routing_key,
            declared_with=base,
        )
        for tier in range(1, NOTIFICATION_DELAY_TIERS + 1)
    )


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(RUNNER_QUEUE, (RunRequested.routing_key,)),
    QueueSpec(NOTIFIER_QUEUE, (RunCompleted.routing_key, ResendRequested.routing_key)),
    QueueSpec(NOTIFIER_RETRY_QUEUE, (NotificationDeferred.routing_key,)),
    *_delay_queues(NotificationDeferred.routing_key, NOTIFIER_RETRY_QUEUE),
)


def queue_spec(name: str) -> QueueSpec:
    return next(spec for spec in QUEUES if spec.name == name)


def queues_declared_by(consumer_queue: str) -> tuple[QueueSpec, ...]:
    """What the consumer of `consumer_queue` declares: that queue, then the queues feeding it.

    A queue's consumer owns it: publishers declare only the exchanges, so an event no consumer
    has declared a queue for yet is returned by RabbitMQ instead of piling up unread.
    """
    own = queue_spec(consumer_queue)
    return (own, *(spec for spec in QUEUES if spec.declared_with == consumer_queue))


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

    def dead_letter_queue(self, base: str) -> str:
        return self.name(f"{base}.dead-letter")

    def queue_arguments(self, spec: QueueSpec) -> dict[str, Any]:
        if spec.dead_letter_routing_key is None:
            dead_letters = (self.dead_letter_exchange, self.name(spec.name))
        else:
            dead_letters = (self.events_exchange, spec.dead_letter_routing_key)
        return {
            "x-queue-type": "quorum",
            # RabbitMQ 3.10 has no default limit: without one a poison message loops forever.
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": dead_letters[0],
            "x-dead-letter-routing-key": dead_letters[1],
            **spec.extra_arguments,
        }
