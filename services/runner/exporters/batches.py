"""Reads a server-side cursor batch by batch, fetching the next batch while one is handled."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from asyncpg import Record
from asyncpg.cursor import Cursor

Row = TypeVar("Row", bound=Record)


async def each_batch(
    cursor: "Cursor[Row]", batch_rows: int, handle: Callable[[list[Row]], Awaitable[None]]
) -> int:
    """Hands every batch of at most `batch_rows` rows to `handle`; returns the row count."""
    row_count = 0
    batch = await cursor.fetch(batch_rows)
    while batch:
        upcoming = asyncio.ensure_future(cursor.fetch(batch_rows))
        try:
            await handle(batch)
        except BaseException:
            upcoming.cancel()
            raise
        row_count += len(batch)
        batch = await upcoming
    return row_count
