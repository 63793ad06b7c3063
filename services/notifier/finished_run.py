"""A finished run as the notifier reads it: the run, its report and who to tell (pure data)."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.models import EmptyResult, NotifyOn, RunStatus


@dataclass(frozen=True)
class FinishedRun:
    run_id: uuid.UUID
    report_name: str
    report_description: str | None
    notify_on: NotifyOn
    recipients: list[str]
    status: RunStatus
    row_count: int | None
    started_at: datetime | None
    finished_at: datetime | None
    scheduled_for: datetime | None
    error_message: str | None
    output_path: str | None
    report_id: uuid.UUID | None = None
    byte_size: int | None = None
    sha256: str | None = None
    # The report's channels as stored: type, label and the sealed URL and secret.
    channels: list[dict[str, Any]] = field(default_factory=list)
    empty_result: EmptyResult = EmptyResult.SEND
    deliver_if: list[dict[str, Any]] = field(default_factory=list)
    # The report's inline_rows, and the first rows the runner kept with the run
    # ({"columns", "rows", "cut"}; None when it kept none).
    inline_rows: int = 0
    first_rows: dict[str, Any] | None = None
    only_if_changed: bool = False
    # What the report's subject and body templates need (services/notifier/templated_message.py).
    timezone: str = "UTC"
    queued_at: datetime | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    subject_template: str | None = None
    body_template: str | None = None
