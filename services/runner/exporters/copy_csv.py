"""CSV engine `copy`: PostgreSQL writes the CSV (COPY ... TO STDOUT), asyncpg streams it to disk.

Byte-identical to `psql \\copy (...) TO ... CSV HEADER`, and as fast, since the client only
moves bytes.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from services.runner.exporters.first_rows import NO_FIRST_ROWS, FirstRows
from services.runner.exporters.first_rows_streams import CsvFirstRows
from services.runner.exporters.limits import LimitExceeded
from services.runner.exporters.output_file import OutputFile
from services.runner.exporters.request import Written
from services.runner.exporters.source import CheckedQuery


async def write_csv_by_copy(
    query: CheckedQuery, output: OutputFile, first_rows: FirstRows = NO_FIRST_ROWS
) -> Written:
    # The newline keeps a trailing `-- comment` from swallowing COPY's closing parenthesis.
    # Bytes are checked as they stream (output.write); rows once COPY reports its count, which
    # the bytes limit bounds meanwhile (every row is at least a line).
    sink: Sink = output.write
    if first_rows.wants_more:
        sink = keeping_first_rows(CsvFirstRows(first_rows), output.write)
    status = await query.connection.copy_from_query(
        f"{query.sql}\n", output=closing_on_limit(query, sink), format="csv", header=True
    )
    row_count = copy_row_count(status)
    output.limits.check_rows(row_count)
    return Written(row_count)


Sink = Callable[[bytes], Coroutine[Any, Any, None]]


def keeping_first_rows(reader: CsvFirstRows, sink: Sink) -> Sink:
    """`sink`, with the stream's first rows read back on the way (never a second query)."""

    async def write(chunk: bytes) -> None:
        reader.feed(chunk)
        await sink(chunk)

    return write


def closing_on_limit(query: CheckedQuery, sink: Sink) -> Sink:
    """`sink`, closing the connection when it raises LimitExceeded. A cancel request cannot stop
    a server in the middle of sending one huge row, and asyncpg stops reading once the sink
    failed, so the COPY would hang; a closed socket stops the server at once."""

    async def write(chunk: bytes) -> None:
        try:
            await sink(chunk)
        except LimitExceeded:
            query.connection.terminate()
            raise

    return write


def copy_row_count(status: str) -> int:
    """The row count of a `COPY <n>` command tag."""
    return int(status.rsplit(maxsplit=1)[-1])
