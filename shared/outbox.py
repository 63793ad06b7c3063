"""Transactional outbox: events are rows written with the state change, then relayed to RabbitMQ."""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    Text,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import Event, utc_now
from shared.messaging import Broker, OutgoingMessage
from shared.models import OutboxMessage

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
BATCH_SIZE = 500
PURGE_INTERVAL_SECONDS = 600.0
PURGE_BATCH_SIZE = 5000
# Events RabbitMQ returned (no queue bound: their consumer has not declared it yet) are left
# out of the relay's batches this long, so a pile of them never holds up the others.
UNROUTABLE_HOLD_SECONDS = 15.0


@dataclass(frozen=True)
class OutboxRow:
    """A committed-to-be outbox row and the message it is published as."""

    id: int
    message: OutgoingMessage


def add_event(session: AsyncSession, event: Event) -> None:
    """Records `event` in the caller's transaction; it is published only if that commits."""
    session.add(OutboxMessage(**_outbox_row(event)))


async def add_events(session: AsyncSession, events: Sequence[Event]) -> list[OutboxRow]:
    """Like add_event for many events at once, in one INSERT … SELECT FROM unnest.

    Each event is serialised once: the JSON stored is the body that OutboxRelay.publish_committed
    sends after the caller's commit, without reading it back.
    """
    if not events:
        return []
    messages = {
        event.event_id: OutgoingMessage(
            event.routing_key, event.model_dump_json().encode(), event.event_id.hex
        )
        for event in events
    }
    rows = (
        func.unnest(
            bindparam("event_ids", list(messages), type_=ARRAY(UUID(as_uuid=True))),
            bindparam("routing_keys", [m.routing_key for m in messages.values()], ARRAY(String)),
            bindparam("payloads", [m.body.decode() for m in messages.values()], ARRAY(Text)),
        )
        .table_valued("event_id", "routing_key", "payload")
        .render_derived(name="new_events")
    )
    inserted = await session.execute(
        insert(OutboxMessage)
        .from_select(
            [OutboxMessage.event_id, OutboxMessage.routing_key, OutboxMessage.payload],
            select(rows.c.event_id, rows.c.routing_key, cast(rows.c.payload, JSONB)),
        )
        .returning(OutboxMessage.id, OutboxMessage.event_id)
    )
    return [OutboxRow(row.id, messages[row.event_id]) for row in inserted]


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
    which the consumers' idempotency absorbs. Published rows older than `retention` are
    deleted every few minutes, so the table does not grow without end.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        broker: Broker,
        retention: timedelta,
    ) -> None:
        self._sessions = sessions
        self._broker = broker
        self._retention = retention
        self._wake = asyncio.Event()
        # publish_committed calls go one after another, in commit order, on one connection.
        self._committed = asyncio.Lock()

    def wake(self) -> None:
        """Call after committing an event so it goes out now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        next_purge = time.monotonic()
        while not stop.is_set():
            try:
                published = await self.publish_pending()
            except Exception:
                log.exception("outbox relay failed; retrying")
                published = 0
            if time.monotonic() >= next_purge:
                # One batch per pass, so a long backlog (a first deploy) never holds up
                # publishing; the next batch follows at once while there is more.
                purged = await self._purge_logging_failures()
                if purged < PURGE_BATCH_SIZE:
                    next_purge = time.monotonic() + PURGE_INTERVAL_SECONDS
            if published < BATCH_SIZE:
                await self._sleep(stop)

    async def _purge_logging_failures(self) -> int:
        try:
            purged = await self.purge_expired_batch()
        except Exception:
            log.warning("purging published outbox rows failed; trying again later", exc_info=True)
            return 0
        if purged:
            log.info("purged %d published outbox rows older than %s", purged, self._retention)
        return purged

    async def purge_expired_batch(self, now: datetime | None = None) -> int:
        """Deletes up to PURGE_BATCH_SIZE rows published before `now` minus the retention;
        returns how many. Rows another relay is deleting meanwhile are skipped, not waited for."""
        cutoff = (now or utc_now()) - self._retention
        expired = (
            select(OutboxMessage.id)
            .where(OutboxMessage.published_at < cutoff)
            .order_by(OutboxMessage.published_at)
            .limit(PURGE_BATCH_SIZE)
            .with_for_update(skip_locked=True)
        )
        async with self._sessions.begin() as session:
            # `= ANY(ARRAY(…))`, not `IN (…)`: PostgreSQL plans IN as a semi-join that scans the
            # whole table; ANY of an array looks each id up in the primary key.
            deleted = await session.execute(
                delete(OutboxMessage)
                .where(OutboxMessage.id == any_(func.array(expired.scalar_subquery())))
                .returning(OutboxMessage.id)
            )
            return len(deleted.all())

    async def _sleep(self, stop: asyncio.Event) -> None:
        stopped = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait(
                {stopped, woken}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
        finally:  # also when the relay itself is cancelled: no waiter is left pending
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
        pending: ColumnElement[bool] = OutboxMessage.published_at.is_(None)
        held_back = self._broker.unroutable_lately(UNROUTABLE_HOLD_SECONDS)
        if held_back:
            pending &= OutboxMessage.routing_key.not_in(held_back)
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
                    .where(pending)
                    .order_by(OutboxMessage.id)
                    .limit(BATCH_SIZE)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            return await self._publish_locked(
                session,
                [
                    OutboxRow(
                        row.id,
                        OutgoingMessage(row.routing_key, row.body.encode(), row.event_id.hex),
                    )
                    for row in rows
                ],
            )

    async def publish_committed(self, rows: Sequence[OutboxRow]) -> int:
        """Publishes rows the caller has just committed (from add_events) without a round trip
        through the relay's poll and SELECT; returns how many it published.

        The rows are locked like a relay batch, so a row the relay holds or already published
        is skipped, and once marked the relay never sends it again. Whatever is not confirmed
        stays unpublished for the relay, which is woken.
        """
        if not rows:
            return 0
        async with self._committed:
            try:
                async with self._sessions.begin() as session:
                    locked = set(
                        (
                            await session.execute(
                                select(OutboxMessage.id)
                                .where(
                                    OutboxMessage.id
                                    == any_(
                                        bindparam(
                                            "ids", [row.id for row in rows], ARRAY(BigInteger)
                                        )
                                    ),
                                    OutboxMessage.published_at.is_(None),
                                )
                                .with_for_update(skip_locked=True)
                            )
                        ).scalars()
                    )
                    published = await self._publish_locked(
                        session, [row for row in rows if row.id in locked]
                    )
            except Exception:
                log.warning("publishing committed events failed; the relay will", exc_info=True)
                published = 0
        if published < len(rows):
            self.wake()
        return published

    async def _publish_locked(self, session: AsyncSession, rows: Sequence[OutboxRow]) -> int:
        """Sends rows locked by `session`'s transaction, confirms awaited together (one round
        trip per batch, not per row), and marks the confirmed ones published."""
        confirmed = await self._broker.publish_many([row.message for row in rows])
        published = [row.id for row, ok in zip(rows, confirmed, strict=True) if ok]
        if published:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == any_(bindparam("published", published, ARRAY(BigInteger)))
                )
                .values(published_at=utc_now())
            )
        return len(published)
