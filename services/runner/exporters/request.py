"""What the worker asks of an export engine and what it gets back."""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.message_templates.variables import RunFacts
from shared.models import Compression, OutputFormat


class ExportFailed(Exception):
    """The report could not be exported; the message is PostgreSQL's own where there is one.

    `transient`: the cause (a lost connection, a deadlock, a lock timeout...) may be gone at a
    later attempt, so the run may be retried.
    """

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass
class ExportProgress:
    """What an export produced so far, read by the lease renewal while the export runs.

    `rows` counts lines of output while the export streams (approximate: a header, or a value
    with a line break, is counted too); the final row count comes from the export's result.
    """

    rows: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class ExportRequest:
    run_id: str
    report_name: str
    sql_query: str
    started_at: datetime
    output_format: OutputFormat = OutputFormat.CSV
    compression: Compression = Compression.NONE
    # Text cells that would start a spreadsheet formula get a leading ' (CSV and XLSX).
    csv_formula_guard: bool = False
    # (setting, value) pairs set in the export's transaction before `sql_query` runs: the
    # report's parameters, which the SQL reads with current_setting (never as SQL text).
    parameter_settings: tuple[tuple[str, str], ...] = ()
    # This run's statement timeout (the report's timeout_seconds, capped); None: the
    # exporter's default.
    timeout_seconds: float | None = None
    progress: ExportProgress = field(default_factory=ExportProgress)
    # How many of the first rows to keep with the run (services.runner.exporters.first_rows).
    keep_rows: int = 0
    # The report's file_name_template and what it may say of the run (rows and size are
    # filled in once exported); None: the default name.
    file_name_template: str | None = None
    template_facts: RunFacts | None = None


@dataclass(frozen=True)
class Written:
    """What a format writer reports: rows written, and anything the user should be told."""

    row_count: int
    notes: str | None = None


@dataclass(frozen=True)
class ExportResult:
    row_count: int
    byte_size: int
    path: Path
    sha256: str
    notes: str | None = None
    # The kept first rows (report_runs.first_rows); None when none were asked for.
    first_rows: dict[str, Any] | None = None
