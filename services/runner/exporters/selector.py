"""Picks the writer for a report's format, compression and the data source's CSV engine."""

from enum import StrEnum
from pathlib import Path

from services.runner.exporters.copy_csv import write_csv_by_copy
from services.runner.exporters.cursor_csv import write_csv_by_cursor
from services.runner.exporters.first_rows import FirstRows
from services.runner.exporters.json_lines import write_json_by_copy, write_json_by_cursor
from services.runner.exporters.limits import NO_LIMITS, RunLimits
from services.runner.exporters.output_file import OutputFile
from services.runner.exporters.request import ExportFailed, ExportRequest, ExportResult, Written
from services.runner.exporters.source import CheckedQuery, checked_query
from services.runner.exporters.source_connections import DataSourceConnections
from services.runner.exporters.xlsx import write_xlsx
from services.runner.naming import output_filename, templated_stem
from shared.export_formats import compression_problem, file_extension
from shared.models import Compression, OutputFormat


class CsvEngine(StrEnum):
    """`copy`: PostgreSQL writes CSV and JSON itself; `cursor`: for sources without COPY."""

    COPY = "copy"
    CURSOR = "cursor"


class Exporter:
    """Runs a report's SQL on the data source and streams the result into its file."""

    def __init__(
        self,
        data_source_dsn: str,
        output_dir: Path,
        statement_timeout: float,
        csv_engine: CsvEngine = CsvEngine.COPY,
        batch_rows: int = 2_000,
        limits: RunLimits = NO_LIMITS,
        keep_connections: int = 0,
    ) -> None:
        """`statement_timeout`: for a request that does not bring its own; `keep_connections`:
        how many data source connections to keep between runs (0: one per run)."""
        self._connections = DataSourceConnections(data_source_dsn, keep_connections)
        self._output_dir = output_dir
        self._default_timeout = statement_timeout
        self._csv_engine = csv_engine
        self._batch_rows = batch_rows
        self._limits = limits

    async def export(self, request: ExportRequest) -> ExportResult:
        # The API refuses such a report, but a row written past it must fail, not be mislabelled.
        problem = compression_problem(request.output_format, request.compression)
        if problem is not None:
            raise ExportFailed(problem)
        extension = file_extension(request.output_format, request.compression)
        compress = request.compression == Compression.GZIP
        output = OutputFile(
            self._output_dir, request.run_id, extension, compress, self._limits, request.progress
        )
        timeout_ms = int((request.timeout_seconds or self._default_timeout) * 1000)
        try:
            streamed = request.output_format != OutputFormat.XLSX  # XlsxBook writes its own zip
            await output.open(streamed)
            first_rows = FirstRows(request.keep_rows)
            async with checked_query(
                self._connections,
                request.sql_query,
                timeout_ms,
                request.parameter_settings,
                keep_connection=self._streams_by_copy(request),
            ) as query:
                written = await self._write(query, request, output, first_rows)
            size, sha256 = await (output.close() if streamed else output.seal_written_file())
            stem, naming_note = templated_stem(
                request.file_name_template, request.template_facts, written.row_count, size
            )
            final = await output.publish(
                lambda attempt: output_filename(
                    request.report_name, request.started_at, extension, attempt, stem
                )
            )
        except BaseException:
            output.discard()
            raise
        notes = " ".join(note for note in (written.notes, naming_note) if note) or None
        return ExportResult(written.row_count, size, final, sha256, notes, first_rows.kept())

    async def close(self) -> None:
        """Closes the data source connections kept between runs."""
        await self._connections.close()

    def _streams_by_copy(self, request: ExportRequest) -> bool:
        """PostgreSQL renders every row (COPY), so no codec of the connection is changed."""
        if self._csv_engine == CsvEngine.CURSOR:
            return False
        if request.output_format == OutputFormat.CSV:
            return not request.csv_formula_guard
        return request.output_format in (OutputFormat.JSON, OutputFormat.JSONL)

    async def _write(
        self,
        query: CheckedQuery,
        request: ExportRequest,
        output: OutputFile,
        first_rows: FirstRows,
    ) -> Written:
        by_cursor = self._csv_engine == CsvEngine.CURSOR
        guard = request.csv_formula_guard
        output_format = request.output_format
        match output_format:
            case OutputFormat.CSV if by_cursor or guard:  # COPY cannot change a value
                return await write_csv_by_cursor(query, output, self._batch_rows, guard, first_rows)
            case OutputFormat.CSV:
                return await write_csv_by_copy(query, output, first_rows)
            case OutputFormat.JSON | OutputFormat.JSONL if by_cursor:
                as_array = output_format == OutputFormat.JSON
                return await write_json_by_cursor(
                    query, output, as_array, self._batch_rows, first_rows
                )
            case OutputFormat.JSON | OutputFormat.JSONL:
                as_array = output_format == OutputFormat.JSON
                return await write_json_by_copy(query, output, as_array, first_rows)
            case OutputFormat.XLSX:
                return await write_xlsx(query, output, self._batch_rows, guard, first_rows)
