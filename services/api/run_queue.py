"""Queues manual runs in the request's transaction and wakes the outbox relay once it commits."""

import uuid
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.events import RunRequested, utc_now
from shared.models import Report, ReportRun, RunStatus, RunTrigger
from shared.outbox import add_event


class Wakeable(Protocol):
    """The outbox relay, as far as queueing needs it."""

    def wake(self) -> None: ...


async def insert_queued_run(session: AsyncSession, report_id: uuid.UUID) -> ReportRun:
    """The QUEUED manual run and its run.requested outbox row, in the caller's transaction."""
    now = utc_now()
    run = ReportRun(
        report_id=report_id,
        trigger=RunTrigger.MANUAL,
        status=RunStatus.QUEUED,
        queued_at=now,
        requested_at=now,
    )
    session.add(run)
    await session.flush()
    add_event(
        session,
        RunRequested(
            run_id=run.id, report_id=report_id, trigger=RunTrigger.MANUAL, requested_at=now
        ),
    )
    return run


class RunQueue:
    """Manual runs for one request: written in its session, announced after its commit."""

    def __init__(self, session: AsyncSession, relay: Wakeable) -> None:
        self._session = session
        self._relay = relay
        self._wake_armed = False

    async def queue_manual_run(self, report: Report) -> ReportRun:
        run = await insert_queued_run(self._session, report.id)
        self._wake_relay_after_commit()
        return run

    def _wake_relay_after_commit(self) -> None:
        """Without the wake the event would wait for the relay's next poll; before the commit
        the relay could not see it yet. A rolled-back request wakes nobody."""
        if not self._wake_armed:
            event.listen(self._session.sync_session, "after_commit", self._wake, once=True)
            self._wake_armed = True

    def _wake(self, _: Session) -> None:
        self._relay.wake()
