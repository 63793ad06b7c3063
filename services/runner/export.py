"""Runs report SQL against the data source (asyncpg) and streams the result into a file."""

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from services.runner.naming import output_filename
from shared.sql_guard import InvalidReportSql, check_single_statement


class ExportFailed(Exception):
    """The report could not be exported; the message is PostgreSQL's own where there is one."""


@dataclass(frozen=True)
class ExportRequest:
    run_id: str
    report_name: str
    sql_query: str
    started_at: datetime


@dataclass(frozen=True)
class ExportResult:
    row_count: int
    byte_size: int
    path: Path


class CsvExporter:
    """CSV through PostgreSQL's COPY, streamed to disk by asyncpg: byte-identical to psql's \\copy.

    The SQL runs as exactly one statement (checked by preparing it first) inside a READ ONLY
    transaction with a statement timeout.
    """

    extension = "csv"

    def __init__(self, data_source_dsn: str, output_dir: Path, statement_timeout: float) -> None:
        self._dsn = data_source_dsn
        self._output_dir = output_dir
        self._timeout_ms = int(statement_timeout * 1000)

    async def export(self, request: ExportRequest) -> ExportResult:
        self._output_dir.mkdir(parents=True, exist_ok=True)
        partial = self._output_dir / f".{request.run_id}.{self.extension}.part"
        try:
            row_count = await self._copy_to(partial, request.sql_query)
            final = await asyncio.to_thread(self._publish_file, partial, request)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return ExportResult(row_count, final.stat().st_size, final)

    async def _copy_to(self, path: Path, sql: str) -> int:
        try:
            connection = await asyncpg.connect(
                self._dsn, server_settings={"application_name": "reportflow-runner"}
            )
        except (OSError, asyncpg.PostgresError) as error:
            raise ExportFailed(f"cannot connect to the data source: {error}") from error
        try:
            async with connection.transaction(readonly=True):
                await connection.execute(f"SET LOCAL statement_timeout = {self._timeout_ms}")
                statement = await check_single_statement(connection, sql)
                # The newline keeps a trailing `-- comment` from swallowing COPY's closing paren.
                status = await connection.copy_from_query(
                    f"{statement}\n", output=path, format="csv", header=True
                )
        except InvalidReportSql as error:
            raise ExportFailed(str(error)) from error
        except asyncpg.PostgresError as error:
            raise ExportFailed(str(error)) from error
        finally:
            await connection.close()
        return int(status.split()[-1])

    def _publish_file(self, partial: Path, request: ExportRequest) -> Path:
        """Gives the complete file its final name without ever replacing an existing file."""
        attempt = 1
        while True:
            name = output_filename(request.report_name, request.started_at, self.extension, attempt)
            final = self._output_dir / name
            try:
                os.link(partial, final)
            except FileExistsError:
                attempt += 1
                continue
            partial.unlink()
            return final
