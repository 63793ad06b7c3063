"""Transactional outbox: events are rows written with the state change, then relayed to RabbitMQ."""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Text, cast, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import Event, utc_now
from shared.messaging import Broker
from shared.models import OutboxMessage

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
BATCH_SIZE = 500


def add_event(session: AsyncSession, event: Event) -> None:
    """Records `event` in the caller's transaction; it is published only if that commits."""
    session.add(OutboxMessage(**_outbox_row(event)))


async def add_events(session: AsyncSession, events: Sequence[Event]) -> None:
    """Like add_event for many events at once: one multi-row INSERT, no ORM objects."""
    if events:
        await session.execute(insert(OutboxMessage), [_outbox_row(event) for event in events])


def _outbox_row(event: Event) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "routing_key": event.routing_key,
        "payload": event.model_dump(mode="json"),
    }


class OutboxRelay:
    """Publishes committed outbox rows in order and marks them published.

    Several relays (one per process) share the table safely: each batch is locked with
    SKIP LOCKED. A crash between the broker's confirm and the commit publishes a row twice,
    which the consumers' idempotency absorbs.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], broker: Broker) -> None:
        self._sessions = sessions
        self._broker = broker
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Call after committing an event so it goes out now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                published = await self.publish_pending()
            except Exception:
                log.exception("outbox relay failed; retrying")
                published = 0
            if published < BATCH_SIZE:
                await self._sleep(stop)

    async def _sleep(self, stop: asyncio.Event) -> None:
        stopped = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self._wake.wait())
        await asyncio.wait(
            {stopped, woken}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        stopped.cancel()
        woken.cancel()
        self._wake.clear()

    async def drain(self) -> None:
        """Publishes what is pending before shutdown; what fails stays for the next relay."""
        try:
            while await self.publish_pending() == BATCH_SIZE:
                pass
        except Exception:
            log.warning("outbox not fully drained at shutdown", exc_info=True)

    async def publish_pending(self) -> int:
        """Publishes one batch; returns how many rows it published."""
        if not self._broker.is_connected:
            return 0
        async with self._sessions.begin() as session:
            # Columns, not ORM objects, and the payload as the text PostgreSQL stores: a batch
            # of thousands costs no per-row object or JSON round trip.
            rows = (
                await session.execute(
                    select(
                        OutboxMessage.id,
                        OutboxMessage.routing_key,
                        OutboxMessage.event_id,
                        cast(OutboxMessage.payload, Text).label("body"),
                    )
                    .where(OutboxMessage.published_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(BATCH_SIZE)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            # Published concurrently (sent in order, confirms awaited together): one confirm
            # round trip per batch instead of per row.
            await asyncio.gather(
                *(
                    self._broker.publish_raw(row.routing_key, row.body.encode(), row.event_id.hex)
                    for row in rows
                )
            )
            if rows:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([row.id for row in rows]))
                    .values(published_at=utc_now())
                )
        return len(rows)
