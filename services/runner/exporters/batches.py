"""Reads a server-side cursor batch by batch, fetching the next batch while one is handled."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from asyncpg import Record
from asyncpg.cursor import Cursor

from services.runner.exporters.limits import NO_LIMITS, RunLimits

Row = TypeVar("Row", bound=Record)


async def each_batch(
    cursor: "Cursor[Row]",
    batch_rows: int,
    handle: Callable[[list[Row]], Awaitable[None]],
    limits: RunLimits = NO_LIMITS,
) -> int:
    """Hands every batch of at most `batch_rows` rows to `handle`; returns the row count.
    Raises LimitExceeded before handing over a batch that passes MAX_RUN_ROWS."""
    row_count = 0
    batch = await cursor.fetch(batch_rows)
    while batch:
        limits.check_rows(row_count + len(batch))
        upcoming = asyncio.ensure_future(cursor.fetch(batch_rows))
        try:
            await handle(batch)
        except Exception:
            # The fetch in flight is let finish: a cancelled one leaves the connection busy,
            # and the rollback after it would fail in place of this error (a limit's, say).
            await asyncio.gather(upcoming, return_exceptions=True)
            raise
        except BaseException:
            upcoming.cancel()
            raise
        row_count += len(batch)
        batch = await upcoming
    return row_count
