"""Request and response bodies of the API, with the validation that names the offending field."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.cron import InvalidSchedule, validate_cron, validate_timezone
from shared.models import (
    MAX_RETRIES_CAP,
    MAX_RETRY_DELAY_SECONDS,
    Compression,
    NotificationChannel,
    NotificationStatus,
    NotifyOn,
    OutputFormat,
    Overlap,
    RunStatus,
    RunTrigger,
)

MAX_CRON_LENGTH = 100  # the column's size
MAX_ADDRESS_LENGTH = 254  # RFC 5321's limit for a forward path, less its angle brackets

ReportName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
SqlText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Checked as an e-mail address, and against ALLOWED_RECIPIENT_DOMAINS, by report_rules.
Recipient = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ADDRESS_LENGTH)
]


class _ReportFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator(
        "name", "description", "sql_query", "schedule_cron", "timezone", check_fields=False
    )
    @classmethod
    def _no_nul_characters(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("schedule_cron", check_fields=False)
    @classmethod
    def _standard_cron(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            normalized = validate_cron(value)
        except InvalidSchedule as error:
            raise ValueError(str(error)) from error
        if len(normalized) > MAX_CRON_LENGTH:
            raise ValueError(f"a cron expression has at most {MAX_CRON_LENGTH} characters")
        return normalized

    @field_validator("timezone", check_fields=False)
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                validate_timezone(value)
            except InvalidSchedule as error:
                raise ValueError(str(error)) from error
        return value


class ReportCreate(_ReportFields):
    name: ReportName
    description: str | None = None
    sql_query: SqlText
    schedule_cron: str | None = Field(default=None, examples=["0 9 * * *"])
    timezone: str = Field(default="UTC", examples=["Europe/Berlin"])
    output_format: OutputFormat = OutputFormat.CSV
    compression: Compression = Compression.NONE
    is_active: bool = True
    recipients: list[Recipient] = Field(default_factory=list)
    notify_on: NotifyOn = NotifyOn.ALWAYS
    # On: text cells starting with = + - @ tab or CR get a leading ' (CSV and XLSX), so a
    # spreadsheet shows them instead of evaluating them. Off: CSV is byte-identical to psql's.
    csv_formula_guard: bool = False
    # Transient failures (connection lost, deadlock, lock timeout, data source down) are tried
    # again up to max_retries times, the first after retry_delay_seconds, then doubling.
    max_retries: int = Field(default=0, ge=0, le=MAX_RETRIES_CAP)
    retry_delay_seconds: int = Field(default=60, ge=1, le=MAX_RETRY_DELAY_SECONDS)
    # A scheduled run while the previous run is RUNNING: skip (recorded SKIPPED), queue (waits
    # until it ended) or allow. Manual runs always run.
    overlap: Overlap = Overlap.SKIP


class ReportUpdate(_ReportFields):
    """Every field optional: only the fields sent are changed."""

    name: ReportName | None = None
    description: str | None = None
    sql_query: SqlText | None = None
    schedule_cron: str | None = None
    timezone: str | None = None
    output_format: OutputFormat | None = None
    compression: Compression | None = None
    is_active: bool | None = None
    recipients: list[Recipient] | None = None
    notify_on: NotifyOn | None = None
    csv_formula_guard: bool | None = None
    max_retries: int | None = Field(default=None, ge=0, le=MAX_RETRIES_CAP)
    retry_delay_seconds: int | None = Field(default=None, ge=1, le=MAX_RETRY_DELAY_SECONDS)
    overlap: Overlap | None = None
    # Admins only: hand the report to another active editor or admin.
    owner_id: uuid.UUID | None = None


# Fields that may be set to null in an update; null for any other field is a 422.
NULLABLE_REPORT_FIELDS = frozenset({"description", "schedule_cron"})


class LastRun(BaseModel):
    id: uuid.UUID
    status: RunStatus
    finished_at: datetime | None


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    sql_query: str
    schedule_cron: str | None
    timezone: str
    output_format: OutputFormat
    compression: Compression
    is_active: bool
    recipients: list[str]
    notify_on: NotifyOn
    csv_formula_guard: bool
    max_retries: int
    retry_delay_seconds: int
    overlap: Overlap
    owner_id: uuid.UUID | None
    # The owner's e-mail; null only for a report no admin has adopted yet.
    owner_email: str | None = None
    created_at: datetime
    updated_at: datetime
    next_run_at: datetime | None = None
    last_run: LastRun | None = None


class AttemptOut(BaseModel):
    """One attempt of a run: retries of transient failures and lease recoveries alike."""

    number: int
    started_at: datetime
    finished_at: datetime | None
    error: str | None


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    report_id: uuid.UUID
    trigger: RunTrigger
    scheduled_for: datetime | None
    status: RunStatus
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    row_count: int | None
    byte_size: int | None
    output_path: str | None
    error_message: str | None
    # SHA-256 (hex) of the file's bytes; the download's ETag carries it too.
    sha256: str | None
    # What the user should know about a successful run, e.g. an XLSX continued on more sheets.
    notes: str | None
    attempt: int
    rows_exported: int | None = Field(
        description="Rows written so far, renewed about every second while RUNNING. "
        "Approximate while running (it counts lines of output: a header line or a value with "
        "a line break counts too); once the run finished, the exact `row_count`."
    )
    bytes_written: int | None = Field(
        description="Bytes of output produced so far while RUNNING (before gzip); once the "
        "run finished, the file's `byte_size`."
    )
    attempts: list[AttemptOut] = Field(
        description="Every attempt, oldest first: retries of transient failures and lease "
        "recoveries (the runner stopped responding) alike, each with its error."
    )
    cancel_requested_at: datetime | None = Field(
        description="When a cancel was asked (POST /api/runs/{id}/cancel); a RUNNING run then "
        "ends CANCELLED within seconds."
    )
    download_url: str | None = None


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    run_id: uuid.UUID
    channel: NotificationChannel
    recipient: str
    status: NotificationStatus
    message: str | None
    error_message: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
