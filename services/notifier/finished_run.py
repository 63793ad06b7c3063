"""A finished run as the notifier reads it: the run, its report and who to tell (pure data)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from shared.models import NotifyOn, RunStatus


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
