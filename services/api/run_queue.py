"""Queues and cancels runs in the request's transaction and wakes the outbox relay once it
commits."""

from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.api.errors import NotFound, RunFinished
from services.api.run_cancel import CancelResult, cancel_run
from shared.models import Report, ReportRun
from shared.run_queue import queue_run


class Wakeable(Protocol):
    """The outbox relay, as far as queueing needs it."""

    def wake(self) -> None: ...


class RunQueue:
    """Manual runs and cancels for one request: written in its session, announced after its
    commit."""

    def __init__(self, session: AsyncSession, relay: Wakeable) -> None:
        self._session = session
        self._relay = relay
        self._wake_armed = False

    async def queue_manual_run(
        self, report: Report, requested_parameters: dict[str, Any] | None = None
    ) -> ReportRun:
        run = await queue_run(self._session, report.id, requested_parameters=requested_parameters)
        if run is None:  # deleted since the request looked it up
            raise NotFound("report", report.id)
        self._wake_relay_after_commit()
        return run

    async def cancel(self, run: ReportRun) -> CancelResult:
        """Raises RunFinished (409) for a run that already ended."""
        result = await cancel_run(self._session, run.id)
        if result == CancelResult.FINISHED:
            raise RunFinished(f"the run is {run.status}; only a QUEUED or RUNNING run is cancelled")
        if result == CancelResult.CANCELLED:
            self._wake_relay_after_commit()
        await self._session.refresh(run)
        return result

    def _wake_relay_after_commit(self) -> None:
        """Without the wake the event would wait for the relay's next poll; before the commit
        the relay could not see it yet. A rolled-back request wakes nobody."""
        if not self._wake_armed:
            event.listen(self._session.sync_session, "after_commit", self._wake, once=True)
            self._wake_armed = True

    def _wake(self, _: Session) -> None:
        self._relay.wake()
