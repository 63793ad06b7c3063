"""JSON (one array) and JSON Lines, with PostgreSQL's `row_to_json` rendering every row.

PostgreSQL's JSON rendering is exact: numerics verbatim, NaN and ±Infinity as strings,
timestamps in ISO 8601 in the session time zone, arrays as JSON arrays, json/jsonb embedded.
The checked statement is wrapped as a subquery (safe: the guard proved it is one statement);
PostgreSQL scans a plain subquery in order, so the report's ORDER BY carries through.
"""

import asyncio

from asyncpg import Record

from services.runner.exporters.batches import each_batch
from services.runner.exporters.copy_csv import closing_on_limit, copy_row_count
from services.runner.exporters.first_rows import NO_FIRST_ROWS, FirstRows
from services.runner.exporters.first_rows_streams import add_json_rows, add_json_text
from services.runner.exporters.json_text import CopyTextLines, JsonFraming, json_lines_text
from services.runner.exporters.output_file import OutputFile
from services.runner.exporters.request import Written
from services.runner.exporters.source import CheckedQuery

ROW_AS_JSON = "row_to_json(q)"


async def write_json_by_copy(
    query: CheckedQuery, output: OutputFile, as_array: bool, first_rows: FirstRows = NO_FIRST_ROWS
) -> Written:
    framing = JsonFraming(as_array)
    lines = CopyTextLines()
    await output.write(framing.start())

    async def write_chunk(chunk: bytes) -> None:
        whole_lines = lines.feed(chunk)
        add_json_text(first_rows, whole_lines)
        await output.write(framing.lines(whole_lines))

    status = await query.connection.copy_from_query(
        query.as_subquery(ROW_AS_JSON),
        output=closing_on_limit(query, write_chunk),
        format="text",
    )
    lines.finish()
    await output.write(framing.end())
    row_count = copy_row_count(status)
    output.limits.check_rows(row_count)
    return Written(row_count)


def _json_lines(rows: list[str]) -> bytes:
    return json_lines_text(rows).encode()


async def write_json_by_cursor(
    query: CheckedQuery,
    output: OutputFile,
    as_array: bool,
    batch_rows: int,
    first_rows: FirstRows = NO_FIRST_ROWS,
) -> Written:
    """The same bytes as `write_json_by_copy`, for a data source without COPY ... TO STDOUT."""
    connection = query.connection
    # One json column, which asyncpg hands over as the text PostgreSQL rendered: no codec to
    # change, so the wrapped query is prepared once.
    cursor = await (await connection.prepare(query.as_subquery(ROW_AS_JSON))).cursor()
    framing = JsonFraming(as_array)
    await output.write(framing.start())

    async def write_batch(batch: list[Record]) -> None:
        if first_rows.wants_more:
            add_json_rows(first_rows, [row[0] for row in batch[: first_rows.wanted]])
        lines = await asyncio.to_thread(_json_lines, [row[0] for row in batch])
        await output.write(framing.lines(lines))

    row_count = await each_batch(cursor, batch_rows, write_batch, output.limits)
    await output.write(framing.end())
    return Written(row_count)
