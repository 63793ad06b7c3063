"""`?wait=N` on a manual run: waits for the run's finish notification or the time to be up."""

import asyncio
import time
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.run_finishes import RunFinishes
from shared.models import ReportRun


class RunWaiter:
    """Reads the run in a short transaction when woken, so no connection is held while waiting."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        finishes: RunFinishes,
        max_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._finishes = finishes
        self._max_seconds = max_seconds

    async def until_finished(self, run_id: uuid.UUID, seconds: float) -> ReportRun | None:
        """The run once finished or when `seconds` (at most the configured maximum) are up;
        None if it was deleted meanwhile."""
        deadline = time.monotonic() + min(seconds, self._max_seconds)
        while True:
            woken = self._finishes.expect(run_id)
            try:
                async with self._sessions.begin() as session:
                    run = await session.get(ReportRun, run_id)
                remaining = deadline - time.monotonic()
                if run is None or run.status.is_finished or remaining <= 0:
                    return run
                await asyncio.wait({woken}, timeout=remaining)
            finally:
                self._finishes.forget(run_id, woken)
