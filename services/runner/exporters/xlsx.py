"""XLSX export: a server-side cursor feeds `XlsxBook`, which runs in a worker thread."""

import asyncio
from typing import Any

from services.runner.exporters.batches import each_batch
from services.runner.exporters.first_rows import NO_FIRST_ROWS, FirstRows, native_text
from services.runner.exporters.formula_guard import guarded_columns, guarded_names, guarded_rows
from services.runner.exporters.output_file import OutputFile
from services.runner.exporters.request import ExportFailed, Written
from services.runner.exporters.source import CheckedQuery
from services.runner.exporters.text_output import use_text_output
from services.runner.exporters.xlsx_book import MAX_COLUMNS, NATIVE_TYPES, XlsxBook


async def write_xlsx(
    query: CheckedQuery,
    output: OutputFile,
    batch_rows: int,
    formula_guard: bool = False,
    first_rows: FirstRows = NO_FIRST_ROWS,
) -> Written:
    connection = query.connection
    columns = (await connection.prepare(query.sql)).get_attributes()
    if len(columns) > MAX_COLUMNS:
        raise ExportFailed(
            f"XLSX holds at most {MAX_COLUMNS:,} columns; the query has {len(columns):,}"
        )
    use_text_output(connection, columns, keep_native=NATIVE_TYPES)
    # Dates and timestamps are parsed from PostgreSQL's text, whose form DateStyle decides.
    await connection.execute("SET LOCAL DateStyle = ISO")
    statement = await connection.prepare(query.sql)
    native = [column.type.name if column.type.schema == "pg_catalog" else "" for column in columns]
    names = [column.name for column in columns]
    guarded = guarded_columns(columns) if formula_guard else None
    book = await asyncio.to_thread(
        XlsxBook, output.partial, guarded_names(names) if formula_guard else names, native
    )

    first_rows.set_columns(names)

    async def write_batch(batch: list[Any]) -> None:  # Records, which XlsxBook reads by index
        if first_rows.wants_more:
            first_rows.add_all(
                [native_text(value, kind) for value, kind in zip(row, native, strict=True)]
                for row in batch
            )
        rows = batch if guarded is None else guarded_rows(batch, guarded)
        await asyncio.to_thread(book.write_rows, rows)
        await output.check_written_file()
        output.progress.rows += len(rows)

    try:
        await each_batch(await statement.cursor(), batch_rows, write_batch, output.limits)
        await asyncio.to_thread(book.close)
        await output.check_written_file()  # the zip is written out as it is closed
    except BaseException:
        await asyncio.to_thread(book.discard)
        raise
    return Written(book.row_count, book.notes())
