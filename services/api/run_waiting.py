"""`?wait=N` on a manual run: polls the run until it finished or the time is up."""

import asyncio
import time
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.models import ReportRun

WAIT_POLL_SECONDS = 0.1


class RunWaiter:
    """Reads the run in a fresh transaction per poll, so no connection is held while waiting."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], max_seconds: float) -> None:
        self._sessions = sessions
        self._max_seconds = max_seconds

    async def until_finished(self, run_id: uuid.UUID, seconds: float) -> ReportRun | None:
        """The run once finished or when `seconds` (at most the configured maximum) are up;
        None if it was deleted meanwhile."""
        deadline = time.monotonic() + min(seconds, self._max_seconds)
        while True:
            async with self._sessions.begin() as session:
                run = await session.get(ReportRun, run_id)
            if run is None or run.status.is_finished or time.monotonic() >= deadline:
                return run
            await asyncio.sleep(WAIT_POLL_SECONDS)
