"""What the services need of the broker to publish events, as a Protocol.

shared.messaging.Broker implements it; handlers take the Protocol, so their decisions can be
unit-tested with a fake that records what would have been published.
"""

from typing import Protocol

from shared.events import Event


class EventPublisher(Protocol):
    async def publish(self, event: Event) -> None:
        """Publishes `event` under its own routing key; returns once the broker confirmed it."""

    async def publish_raw(
        self,
        routing_key: str,
        body: bytes,
        message_id: str,
        expiration_seconds: float | None = None,
        event_type: str | None = None,
    ) -> None:
        """Publishes an encoded event under any routing key (a delay queue's, say), with an
        optional per-message expiration; `event_type` keeps its meaning when it is re-routed."""
