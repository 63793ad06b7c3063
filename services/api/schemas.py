"""Request and response bodies of the API, with the validation that names the offending field."""

import math
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.cron import InvalidSchedule, validate_cron, validate_timezone
from shared.message_templates.messages import TEMPLATE_FIELDS, TEMPLATE_LIMITS
from shared.models import (
    MAX_INLINE_ROWS,
    MAX_RETENTION_DAYS,
    MAX_RETRIES_CAP,
    MAX_RETRY_DELAY_SECONDS,
    Compression,
    EmptyResult,
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
# The column is an integer; report_rules holds it to MAX_STATEMENT_TIMEOUT_SECONDS.
TimeoutSeconds = Annotated[int, Field(ge=1, le=2_147_483_647)]

ReportName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
SqlText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Checked as an e-mail address, and against ALLOWED_RECIPIENT_DOMAINS, by report_rules.
Recipient = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ADDRESS_LENGTH)
]


# Sandboxed templates (docs/notifier.md lists their variables); blank: the default.
SubjectTemplate = Annotated[
    str | None,
    Field(
        default=None,
        max_length=TEMPLATE_LIMITS["subject_template"],
        examples=["Sales, week {{ macros.last_week_start | date('%V') }}: {{ rows }} rows"],
    ),
]
BodyTemplate = Annotated[
    str | None, Field(default=None, max_length=TEMPLATE_LIMITS["body_template"])
]
FileNameTemplate = Annotated[
    str | None,
    Field(
        default=None,
        max_length=TEMPLATE_LIMITS["file_name_template"],
        examples=["sales_{{ macros.last_week_start }}"],
    ),
]


ParameterTypeName = Literal[
    "text",
    "integer",
    "number",
    "date",
    "timestamp",
    "boolean",
    "text[]",
    "integer[]",
    "number[]",
    "date[]",
    "timestamp[]",
    "boolean[]",
]


class ParameterDeclaration(BaseModel):
    """One parameter the report's SQL uses as `{{ name }}`; `type` ending in `[]` is a list
    (used as `= ANY({{ ids }})`). Without a default (or with null) every run must give a value.

    Values: text as a JSON string; integer (64-bit) and number as JSON numbers or their text;
    date as `YYYY-MM-DD`; timestamp as ISO 8601 with its offset (`2026-03-30T08:00:00Z`);
    boolean as true/false; a list as a JSON array of those.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=63, examples=["min_amount"])
    type: ParameterTypeName
    default: JsonValue = Field(default=None, examples=[100])


MAX_REPORT_CHANNELS = 20
MAX_URL_LENGTH = 2048


class WebhookChannelIn(BaseModel):
    """A webhook: POSTs the run as JSON, signed with `secret`. URL and secret are write-only."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["webhook"]
    url: str = Field(
        min_length=1, max_length=MAX_URL_LENGTH, examples=["https://hooks.example.com/reportflow"]
    )
    # The HMAC-SHA256 key of X-ReportFlow-Signature.
    secret: str = Field(min_length=16, max_length=256)


class TeamsChannelIn(BaseModel):
    """A Microsoft Teams Workflows webhook URL: the run as an Adaptive Card. Write-only."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["teams"]
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)


class SlackChannelIn(BaseModel):
    """Slack: an incoming webhook URL, or a bot token and the channel's ID (the file is
    uploaded when small enough). Write-only, but the channel, which labels it."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["slack"]
    webhook_url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    token: str | None = Field(default=None, min_length=10, max_length=256)
    channel: str | None = Field(
        default=None, min_length=1, max_length=80, pattern=r"^[#@]?[A-Za-z0-9._-]+$"
    )

    @model_validator(mode="after")
    def _one_way_in(self) -> "SlackChannelIn":
        if (self.webhook_url is None) == (self.token is None and self.channel is None):
            raise ValueError("give either webhook_url, or token and channel")
        if self.webhook_url is None and (self.token is None or self.channel is None):
            raise ValueError("a token needs a channel, and a channel a token")
        return self


ChannelIn = Annotated[
    WebhookChannelIn | TeamsChannelIn | SlackChannelIn, Field(discriminator="type")
]
WRITE_ONLY_CHANNEL_FIELDS = ("url", "secret", "webhook_url", "token")


class ChannelOut(BaseModel):
    """A channel as answers show it: its type and label (a host, or a Slack channel), and
    "set" for each write-only field it has (never the value)."""

    type: str
    label: str
    url: Literal["set"] | None = None
    secret: Literal["set"] | None = None
    webhook_url: Literal["set"] | None = None
    token: Literal["set"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _write_only_shown_as_set(cls, stored: Any) -> Any:
        if not isinstance(stored, dict):
            return stored
        shown = {"type": stored.get("type"), "label": stored.get("label")}
        return shown | {name: "set" for name in stored.get("set", ())}


MAX_DELIVERY_CONDITIONS = 10


MAX_CONDITION_TEXT = 200


class DeliveryCondition(BaseModel):
    """Deliver a successful run only if its metric compares so with `value`: `row_count` with
    a whole number; `first_value` (the first column of the first row) with a number, compared
    as numbers when the value reads as one, or with a text, compared as text."""

    model_config = ConfigDict(extra="forbid")

    metric: Literal["row_count", "first_value"]
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: int | float | str

    @field_validator("value", mode="before")
    @classmethod
    def _comparable(cls, value: object, info: ValidationInfo) -> object:
        """One message naming `value`, rather than one per member of the union."""
        if info.data.get("metric") == "row_count":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
                raise ValueError("row_count compares with a whole number from 0 to 2**63-1")
            return value
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and math.isfinite(value):  # type: ignore[arg-type]
            return value
        if isinstance(value, str) and len(value) <= MAX_CONDITION_TEXT:
            return value
        raise ValueError(
            f"first_value compares with a finite number or a text of at most "
            f"{MAX_CONDITION_TEXT} characters"
        )


class ResendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Only these addresses (no webhook); omitted or null: the report's recipients and channels.
    recipients: list[Recipient] | None = None


class ResendOut(BaseModel):
    run_id: uuid.UUID
    resend_id: uuid.UUID
    recipients: list[str] | None


def template_or_none(value: str | None) -> str | None:
    """A blank template is no template (the default)."""
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value if value is not None and value.strip() else None


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

    @field_validator(*TEMPLATE_FIELDS, check_fields=False)
    @classmethod
    def _blank_template_is_none(cls, value: str | None) -> str | None:
        return template_or_none(value)

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
    # Delivery targets beside e-mail; replaced as a whole by an update (send URLs and secrets
    # again). Write-only: a reports file (reportflow export/apply) leaves them as they are.
    channels: list[ChannelIn] = Field(
        default_factory=list,
        max_length=MAX_REPORT_CHANNELS,
        json_schema_extra={"writeOnly": True},
    )
    notify_on: NotifyOn = NotifyOn.ALWAYS
    # A successful run with no rows: delivered (send), not delivered (skip), or FAILED (fail).
    empty_result: EmptyResult = EmptyResult.SEND
    # The watchdog's run_failing notice (docs/alerts.md) goes to the recipients too, not only
    # to the owner.
    failure_notice_recipients: bool = False
    # Every condition must hold for a successful run to be delivered.
    deliver_if: list[DeliveryCondition] = Field(
        default_factory=list, max_length=MAX_DELIVERY_CONDITIONS
    )
    # The first rows the mail shows as a table (HTML and plain text), the file still attached
    # or linked; 0: none.
    inline_rows: int = Field(default=0, ge=0, le=MAX_INLINE_ROWS)
    # On: a successful run whose file is byte for byte the one last delivered (same sha256) is
    # not delivered; its targets get SKIPPED rows saying so. A resend ignores it.
    only_if_changed: bool = False
    # On: text cells starting with = + - @ tab or CR get a leading ' (CSV and XLSX), so a
    # spreadsheet shows them instead of evaluating them. Off: CSV is byte-identical to psql's.
    csv_formula_guard: bool = False
    # The mail's subject and body and the output file's name (without its extension), as
    # sandboxed templates; null: the default. Checked by rendering them at save (422).
    subject_template: SubjectTemplate = None
    body_template: BodyTemplate = None
    file_name_template: FileNameTemplate = None
    # Typed values the SQL reads as {{ name }}; built-in date macros ({{ last_week_start }}...)
    # need no declaration.
    parameters: list[ParameterDeclaration] = Field(default_factory=list)
    # Days the report's files are kept before the retention sweep removes them; null: the
    # deployment's OUTPUT_RETENTION_DAYS.
    retention_days: int | None = Field(default=None, ge=1, le=MAX_RETENTION_DAYS)
    # The run's statement timeout, at most MAX_STATEMENT_TIMEOUT_SECONDS; null:
    # STATEMENT_TIMEOUT_SECONDS.
    timeout_seconds: TimeoutSeconds | None = None
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
    channels: list[ChannelIn] | None = Field(default=None, max_length=MAX_REPORT_CHANNELS)
    notify_on: NotifyOn | None = None
    empty_result: EmptyResult | None = None
    failure_notice_recipients: bool | None = None
    deliver_if: list[DeliveryCondition] | None = Field(
        default=None, max_length=MAX_DELIVERY_CONDITIONS
    )
    inline_rows: int | None = Field(default=None, ge=0, le=MAX_INLINE_ROWS)
    only_if_changed: bool | None = None
    csv_formula_guard: bool | None = None
    subject_template: SubjectTemplate = None
    body_template: BodyTemplate = None
    file_name_template: FileNameTemplate = None
    parameters: list[ParameterDeclaration] | None = None
    retention_days: int | None = Field(default=None, ge=1, le=MAX_RETENTION_DAYS)
    timeout_seconds: TimeoutSeconds | None = None
    max_retries: int | None = Field(default=None, ge=0, le=MAX_RETRIES_CAP)
    retry_delay_seconds: int | None = Field(default=None, ge=1, le=MAX_RETRY_DELAY_SECONDS)
    overlap: Overlap | None = None
    # Admins only: hand the report to another active editor or admin.
    owner_id: uuid.UUID | None = None


# Fields that may be set to null in an update; null for any other field is a 422.
NULLABLE_REPORT_FIELDS = frozenset(
    {"description", "schedule_cron", "retention_days", "timeout_seconds", *TEMPLATE_FIELDS}
)


class LastRun(BaseModel):
    id: uuid.UUID
    status: RunStatus
    finished_at: datetime | None
    # What the web UI's report list shows without asking for each run.
    row_count: int | None = None
    byte_size: int | None = None


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
    channels: list[ChannelOut] = Field(default_factory=list)
    notify_on: NotifyOn
    empty_result: EmptyResult = EmptyResult.SEND
    failure_notice_recipients: bool = False
    deliver_if: list[DeliveryCondition] = Field(default_factory=list)
    inline_rows: int = 0
    only_if_changed: bool = False
    csv_formula_guard: bool
    subject_template: str | None = None
    body_template: str | None = None
    file_name_template: str | None = None
    parameters: list[ParameterDeclaration]
    retention_days: int | None
    # Null: the run gets STATEMENT_TIMEOUT_SECONDS.
    timeout_seconds: int | None = None
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
    # The values a manual run asked for (null: none), and the values the run used: every
    # declared parameter and each date macro its SQL reads (null until a runner claims it).
    requested_parameters: dict[str, Any] | None = None
    parameters: dict[str, Any] | None = None
    # When the retention sweep removed the file; the download then answers 410.
    expired_at: datetime | None
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


class RunRequest(BaseModel):
    """The optional body of `POST /api/reports/{id}/run`: values for the report's declared
    parameters, overriding their defaults (date macros come from the run's time)."""

    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, JsonValue] = Field(
        default_factory=dict, examples=[{"min_amount": 250, "regions": ["EU", "US"]}]
    )


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    run_id: uuid.UUID
    channel: NotificationChannel
    # The target's label: an e-mail address, or a webhook's host (never its URL).
    recipient: str
    # Set on the rows of a resend.
    resend_id: uuid.UUID | None = None
    status: NotificationStatus
    message: str | None
    error_message: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None


class MessagePreviewRequest(BaseModel):
    """Templates to preview instead of the saved ones (unsaved edits): a field sent replaces
    the report's template for this preview (null: the default); a field left out keeps it."""

    model_config = ConfigDict(extra="forbid")

    subject_template: SubjectTemplate = None
    body_template: BodyTemplate = None
    file_name_template: FileNameTemplate = None

    @field_validator(*TEMPLATE_FIELDS)
    @classmethod
    def _blank_template_is_none(cls, value: str | None) -> str | None:
        return template_or_none(value)


class MessagePreviewOut(BaseModel):
    """What the templates give for the report's last finished run (`source`: last_run), or
    for sample values when it has none (`source`: sample). Null: no template, so the default
    subject, body or file name (`<Report_Name>_<YYYYmmdd_HHMMSS>.<ext>`) is used."""

    source: Literal["last_run", "sample"]
    run_id: uuid.UUID | None = None
    subject: str | None = None
    body: str | None = None
    file_name: str | None = None


class ReportVersionOut(BaseModel):
    """One version of a report's definition: who made it, when, and each field's old and new
    value (version 1: every field, old null)."""

    version: int
    action: str  # report.created, report.changed or report.restored
    occurred_at: datetime
    actor_email: str | None
    changes: dict[str, Any]
    restored_version: int | None = None
