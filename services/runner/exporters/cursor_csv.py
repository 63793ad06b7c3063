"""CSV engine `cursor`: a server-side cursor read in bounded batches, for sources without COPY.

Values arrive as PostgreSQL's own text output (see `text_output`) and are quoted by
`csv_text`, so the file has the same bytes the `copy` engine writes. Each batch is formatted
in a worker thread while the next one is fetched.
"""

import asyncio
from collections.abc import Sequence

from asyncpg import Record

from services.runner.exporters.batches import each_batch
from services.runner.exporters.csv_text import csv_header, csv_rows
from services.runner.exporters.first_rows import NO_FIRST_ROWS, FirstRows
from services.runner.exporters.formula_guard import guarded_columns, guarded_names, guarded_rows
from services.runner.exporters.output_file import OutputFile
from services.runner.exporters.request import Written
from services.runner.exporters.source import CheckedQuery
from services.runner.exporters.text_output import use_text_output


def _encoded_csv(rows: Sequence[Record], guarded: Sequence[bool] | None) -> bytes:
    return csv_rows(rows if guarded is None else guarded_rows(rows, guarded)).encode()


async def write_csv_by_cursor(
    query: CheckedQuery,
    output: OutputFile,
    batch_rows: int,
    formula_guard: bool = False,
    first_rows: FirstRows = NO_FIRST_ROWS,
) -> Written:
    connection = query.connection
    columns = (await connection.prepare(query.sql)).get_attributes()
    use_text_output(connection, columns)
    statement = await connection.prepare(query.sql)
    names = [column.name for column in columns]
    guarded = guarded_columns(columns) if formula_guard else None
    await output.write(csv_header(guarded_names(names) if formula_guard else names).encode())
    first_rows.set_columns(names)  # the query's own values: the guard is for spreadsheets

    async def write_batch(batch: list[Record]) -> None:
        first_rows.add_all(batch)
        await output.write(await asyncio.to_thread(_encoded_csv, batch, guarded))

    cursor = await statement.cursor()
    return Written(await each_batch(cursor, batch_rows, write_batch, output.limits))
