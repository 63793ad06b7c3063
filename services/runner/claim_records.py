"""What the runner's state changes pass around: a claim, what claiming or renewing it gave,
the outcome recorded; and the two pieces of SQL they share (when a run may be claimed, and the
run.completed that announces an outcome)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, func

from shared.events import RunCompleted
from shared.message_templates.variables import RunFacts
from shared.models import Compression, EmptyResult, OutputFormat, ReportRun, RunStatus


@dataclass(frozen=True)
class Claim:
    """One claim of a run: a later claim of the same run, even by the same worker, is another."""

    run_id: uuid.UUID
    worker_id: str | None
    attempt: int


class NotClaimed(Enum):
    NOT_DUE = "not QUEUED, or not due yet"
    SKIPPED = "skipped: the report's previous run is still running"
    WAITING = "waiting for the report's previous run to end"


class Renewal(Enum):
    CURRENT = "current"
    CANCEL_REQUESTED = "cancel requested"
    # The claim is no longer current: its lease expired and the run was taken over.
    LOST = "lost"


class FinishResult(Enum):
    RECORDED = "recorded"
    # An earlier try of this very claim committed although its answer was lost.
    ALREADY_RECORDED = "already recorded"
    TAKEN_OVER = "taken over"


@dataclass(frozen=True)
class ClaimedRun:
    run_id: uuid.UUID
    report_id: uuid.UUID
    report_name: str
    sql_query: str
    started_at: datetime
    attempt: int
    output_format: OutputFormat
    compression: Compression
    worker_id: str
    csv_formula_guard: bool = False
    # (setting, value) pairs for set_config before `sql_query` (the SQL with its placeholders
    # rewritten as references to them): shared/report_parameters.
    parameter_settings: tuple[tuple[str, str], ...] = ()
    # A successful export with no rows ends FAILED when this is `fail` (delivery_rules.py).
    empty_result: EmptyResult = EmptyResult.SEND
    # The report's own statement timeout; None: STATEMENT_TIMEOUT_SECONDS.
    timeout_seconds: int | None = None
    max_retries: int = 0
    retry_delay_seconds: int = 60
    retries: int = 0
    # How many first rows the export keeps with the run (inline_rows, at least 1 for a
    # deliver_if first_value condition): rows_to_keep.
    keep_rows: int = 0
    # Set when the report may not run any more (services.runner.owner_check): the run is
    # recorded as FAILED with this reason instead of exported.
    refusal: str | None = None
    # The report's file_name_template and the facts it renders with (services.runner.naming).
    file_name_template: str | None = None
    template_facts: RunFacts | None = None

    @property
    def claim(self) -> Claim:
        return Claim(self.run_id, self.worker_id, self.attempt)


@dataclass(frozen=True)
class RunOutcome:
    status: RunStatus
    row_count: int | None = None
    byte_size: int | None = None
    output_path: str | None = None
    error_message: str | None = None
    sha256: str | None = None
    notes: str | None = None
    # A FAILED outcome whose cause may be gone at a later attempt (services.runner.retry_policy).
    transient: bool = False
    # report_runs.first_rows: {"columns", "rows", "cut"} (services.runner.exporters.first_rows).
    first_rows: dict[str, Any] | None = None


CANCELLED = RunOutcome(RunStatus.CANCELLED, error_message="cancelled on request")


def rows_to_keep(inline_rows: int, deliver_if: list[dict[str, Any]]) -> int:
    """The first rows a run keeps: those the mail shows, and the one first_value reads."""
    reads_first_value = any(condition.get("metric") == "first_value" for condition in deliver_if)
    return max(inline_rows, 1 if reads_first_value else 0)


def due() -> ColumnElement[bool]:
    """QUEUED, not cancelled, and not held back (a retry's delay, an overlap wait)."""
    return (
        (ReportRun.status == RunStatus.QUEUED)
        & ReportRun.cancel_requested_at.is_(None)
        & (ReportRun.not_before.is_(None) | (ReportRun.not_before <= func.now()))
    )


def announcing(run_id: uuid.UUID, report_id: uuid.UUID, outcome: RunOutcome) -> RunCompleted:
    """The run.completed that recording `outcome` announces."""
    return RunCompleted(run_id=run_id, report_id=report_id, status=outcome.status)
