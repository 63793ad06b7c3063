"""Tables of the system of record: accounts, reports, their runs, notifications, the event outbox,
the audit log, alerts and the services' heartbeats."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.run_states import (
    CANCELLABLE_STATUSES,
    FINISHED_STATUSES,
    MAILED_STATUSES,
    RunStatus,
    RunTrigger,
)

# The run states are defined without the ORM (the event contracts use them) and re-exported here.
__all__ = [
    "CANCELLABLE_STATUSES",
    "FINISHED_STATUSES",
    "MAILED_STATUSES",
    "NAMING_CONVENTION",
    "Alert",
    "AlertKind",
    "Base",
    "Compression",
    "NotificationChannel",
    "NotificationLog",
    "NotificationStatus",
    "NotifyOn",
    "OutboxMessage",
    "OutputFormat",
    "Overlap",
    "Report",
    "ReportRun",
    "RunStatus",
    "RunTrigger",
    "ServiceHeartbeat",
]


class OutputFormat(StrEnum):
    CSV = "CSV"
    JSON = "JSON"
    JSONL = "JSONL"
    XLSX = "XLSX"


class Compression(StrEnum):
    """Applied to the text formats; XLSX is a zip archive already."""

    NONE = "none"
    GZIP = "gzip"


class NotifyOn(StrEnum):
    ALWAYS = "ALWAYS"
    FAILURE = "FAILURE"
    SUCCESS = "SUCCESS"
    NEVER = "NEVER"


class EmptyResult(StrEnum):
    """What a successful run that returned no rows leads to."""

    SEND = "send"  # delivered like any other
    SKIP = "skip"  # not delivered: a SKIPPED ledger row per target says why
    FAIL = "fail"  # the run ends FAILED, saying so


class Overlap(StrEnum):
    """What a scheduled run does while the report's previous run is still RUNNING."""

    SKIP = "skip"  # recorded SKIPPED with the reason
    QUEUE = "queue"  # waits QUEUED until the previous run ended
    ALLOW = "allow"  # runs alongside it


# A report may ask for at most this many retries of a transient failure.
MAX_RETRIES_CAP = 10
MAX_RETRY_DELAY_SECONDS = 3600


class NotificationChannel(StrEnum):
    EMAIL = "EMAIL"
    LOG = "LOG"
    WEBHOOK = "WEBHOOK"
    TEAMS = "TEAMS"
    SLACK = "SLACK"


class Role(StrEnum):
    """What an account may do: admin everything, editor its own reports, viewer read only."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class NotificationStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


def _enum_column(enum: type[StrEnum], name: str) -> Enum:
    """VARCHAR plus a CHECK constraint: a new value is a constraint change, not ALTER TYPE."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """An account. The e-mail is stored lower-case, so the unique index is case-insensitive."""

    # Not "users": report SQL runs against data sources that often have one (the demo has).
    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    # argon2id, encoded with its salt and parameters.
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[Role] = mapped_column(_enum_column(Role, "role"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ApiToken(Base):
    """A Bearer credential: only the SHA-256 of its secret is stored, so a request is
    authenticated with one lookup of the unique digest."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BrowserSession(Base):
    """A signed-in browser: the cookie's secret and the CSRF token, both stored as SHA-256."""

    __tablename__ = "browser_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


# The most first rows a report may show in its mail (reports.inline_rows); the API's limit too.
MAX_INLINE_ROWS = 100
# The most days a report may keep its files (reports.retention_days); the API's limit too.
MAX_RETENTION_DAYS = 3650


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(
            f"retention_days BETWEEN 1 AND {MAX_RETENTION_DAYS}", name="retention_days_range"
        ),
        CheckConstraint("timeout_seconds > 0", name="timeout_seconds_positive"),
        CheckConstraint(f"inline_rows BETWEEN 0 AND {MAX_INLINE_ROWS}", name="inline_rows_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    sql_query: Mapped[str] = mapped_column(Text)
    schedule_cron: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    output_format: Mapped[OutputFormat] = mapped_column(
        _enum_column(OutputFormat, "output_format"),
        default=OutputFormat.CSV,
        server_default=OutputFormat.CSV.value,
    )
    compression: Mapped[Compression] = mapped_column(
        _enum_column(Compression, "compression"),
        default=Compression.NONE,
        server_default=Compression.NONE.value,
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    recipients: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default=text("'{}'")
    )
    notify_on: Mapped[NotifyOn] = mapped_column(
        _enum_column(NotifyOn, "notify_on"),
        default=NotifyOn.ALWAYS,
        server_default=NotifyOn.ALWAYS.value,
    )
    # Off: files are byte-identical to psql's. On: text cells that would start a spreadsheet
    # formula (= + - @ tab CR) get a leading ' in CSV and XLSX.
    csv_formula_guard: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # When to deliver a successful run: with no rows (send, skip, or fail the run), and only if
    # every condition holds ([{"metric": "row_count", "op": ">", "value": 10}]).
    empty_result: Mapped[EmptyResult] = mapped_column(
        _enum_column(EmptyResult, "empty_result"),
        default=EmptyResult.SEND,
        server_default=EmptyResult.SEND.value,
    )
    deliver_if: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    # The first rows a delivery shows as a table in the mail (0: none); the runner keeps them
    # with the run (report_runs.first_rows).
    inline_rows: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # On: a successful run whose file has the sha256 of the report's last delivered run is not
    # delivered (services/notifier/previous_delivery.py says which run that is).
    only_if_changed: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # The watchdog's run_failing notice goes to the recipients as well as the owner.
    failure_notice_recipients: Mapped[bool] = mapped_column(
        default=False, server_default=text("false")
    )
    # Delivery targets beside e-mail: [{"type": "webhook", "label": <host>, "sealed": <Fernet
    # token of the URL and secret>}]; written by the API, opened only by the notifier.
    channels: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    # Sandboxed templates (shared/message_templates) of the mail's subject and body and of the
    # output file's name; null: the default.
    subject_template: Mapped[str | None] = mapped_column(Text)
    body_template: Mapped[str | None] = mapped_column(Text)
    file_name_template: Mapped[str | None] = mapped_column(Text)
    # Typed parameter declarations (shared/report_parameters): [{"name", "type", "default"?}].
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    # Days this report's files are kept; null: OUTPUT_RETENTION_DAYS.
    retention_days: Mapped[int | None] = mapped_column(Integer)
    # The run's statement timeout; null: STATEMENT_TIMEOUT_SECONDS. Never above
    # MAX_STATEMENT_TIMEOUT_SECONDS (the API refuses it, the runner caps it again).
    timeout_seconds: Mapped[int | None] = mapped_column()
    # Transient failures (connection lost, deadlock, lock timeout...) are tried again up to
    # max_retries times, after retry_delay_seconds doubling each time.
    max_retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_delay_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    overlap: Mapped[Overlap] = mapped_column(
        _enum_column(Overlap, "overlap"), default=Overlap.SKIP, server_default=Overlap.SKIP.value
    )
    # Null only for reports written by SQL outside the API (demo data, reports older than
    # accounts): the bootstrap admin adopts them when the API starts.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ReportRun(Base):
    __tablename__ = "report_runs"
    __table_args__ = (
        UniqueConstraint(
            "report_id", "scheduled_for", name="uq_report_runs_report_id_scheduled_for"
        ),
        Index("ix_report_runs_report_id_queued_at", "report_id", "queued_at"),
        # The notifier's walk back to a report's last delivered run (only_if_changed).
        Index("ix_report_runs_report_id_finished_at", "report_id", "finished_at", "id"),
        Index("ix_report_runs_status_lease", "status", "lease_expires_at"),
        Index("ix_report_runs_finished_at", "finished_at"),
        Index(
            "ix_report_runs_files_kept",
            "finished_at",
            postgresql_where=text("output_path IS NOT NULL AND expired_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    trigger: Mapped[RunTrigger] = mapped_column(_enum_column(RunTrigger, "run_trigger"))
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[RunStatus] = mapped_column(
        _enum_column(RunStatus, "run_status"),
        default=RunStatus.QUEUED,
        server_default=RunStatus.QUEUED.value,
    )
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # When the last run.requested for this run was written; the runner re-requests runs whose
    # message was lost or dead-lettered.
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    byte_size: Mapped[int | None] = mapped_column(BigInteger)
    output_path: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    # SHA-256 (hex) of the output file's bytes, so a download can be verified.
    sha256: Mapped[str | None] = mapped_column(String(64))
    # What the user should know about a successful run (an XLSX continued on more sheets).
    notes: Mapped[str | None] = mapped_column(Text)
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    worker_id: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The parameter values a manual run asked for (shared/run_queue.py), and the values the
    # run used: every declared parameter and the date macros its SQL reads (runner, at claim).
    requested_parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # When the retention sweep removed the run's file; the run stays listed.
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by the api (POST /api/runs/{id}/cancel); the runner holding the run stops it.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A QUEUED run is not claimed before this: a retry waiting its delay, or a run waiting for
    # the report's previous run (overlap `queue`); the runner requests it again once it passed.
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Retries granted so far (transient failures); lease recoveries are counted by `attempt`.
    retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Progress of a RUNNING run, renewed with its lease; rows are approximate until finished.
    rows_exported: Mapped[int | None] = mapped_column(BigInteger)
    bytes_written: Mapped[int | None] = mapped_column(BigInteger)
    # Every attempt: [{"number", "started_at", "finished_at", "error"}], oldest first.
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'")
    )
    # The first rows of a successful export, kept by the runner for the mail's table and for
    # deliver_if's first_value: {"columns": [...], "rows": [[...]], "cut": bool}, bounded
    # (services/runner/exporters/first_rows.py); null when the report asked for none.
    first_rows: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))


class NotificationLog(Base):
    __tablename__ = "notification_log"
    __table_args__ = (
        # resend_id is null for a run's own delivery: NULLS NOT DISTINCT keeps that to one row
        # per target, while each resend gets a set of its own.
        UniqueConstraint(
            "run_id",
            "channel",
            "recipient",
            "resend_id",
            name="uq_notification_log_run_id_channel_recipient_resend_id",
            postgresql_nulls_not_distinct=True,
        ),
        Index(
            "ix_notification_log_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'PENDING'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("report_runs.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[NotificationChannel] = mapped_column(
        _enum_column(NotificationChannel, "notification_channel")
    )
    # The target's non-secret label: an e-mail address, a webhook's host (never its URL).
    recipient: Mapped[str] = mapped_column(Text)
    # Set on the rows of one resend (POST /api/runs/{id}/resend); null for the run's own.
    resend_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[NotificationStatus] = mapped_column(
        _enum_column(NotificationStatus, "notification_status"),
        default=NotificationStatus.PENDING,
        server_default=NotificationStatus.PENDING.value,
    )
    message: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set while an attempt is in progress: a notifier owns the row and may be talking to the
    # mail server. A claim that outlives the claim timeout means the notifier died mid-send.
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a deferred (transiently failed) notification is due again.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxMessage(Base):
    """An event written in the same transaction as the state change it announces."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
        Index(
            "ix_outbox_published_at",
            "published_at",
            postgresql_where=text("published_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    routing_key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who did what to which report, run, token or user. No foreign keys: an entry outlives
    what it describes, and the actor's e-mail is copied for the same reason."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index(
            "uq_audit_log_subject_version",
            "subject_id",
            "version",
            unique=True,
            postgresql_where=text("version IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_email: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    # Changed fields as {"field": {"old": ..., "new": ...}}; never a password or a secret.
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'")
    )
    # A report's definition version (1 at creation, +1 per change or restore); null for the
    # entries that are not a new definition (runs, deletions, tokens, accounts).
    version: Mapped[int | None] = mapped_column(Integer)


class AlertKind(StrEnum):
    """What the notifier's watchdog noticed (docs/alerts.md)."""

    RUN_FAILING = "run_failing"
    DELIVERY_FAILING = "delivery_failing"
    MISSED_SLOT = "missed_slot"
    RUN_OVERDUE = "run_overdue"
    SCHEDULER_DOWN = "scheduler_down"
    DEAD_LETTERS_GROWING = "dead_letters_growing"


class Alert(Base):
    """A problem the watchdog noticed, open until it clears. Written by the notifier only.

    At most one open alert per (kind, report_id, target); its notice is claimed before it is
    mailed (notice_claimed_at) and finished after (notice_sent_at), like notification_log.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_open",
            "kind",
            "report_id",
            "target",
            unique=True,
            postgresql_where=text("resolved_at IS NULL"),
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_alerts_since", "since"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[AlertKind] = mapped_column(
        Enum(
            AlertKind,
            name="alert_kind",
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda members: [member.value for member in members],
        )
    )
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    # A non-secret label of what failed within the kind: an e-mail address or a webhook's host,
    # a run's id, a queue's name; null when the kind and report say it all.
    target: Mapped[str | None] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the API shows: reasons, slots, counts; never a URL or a secret.
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    notice_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notice_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notice_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notice_error: Mapped[str | None] = mapped_column(Text)


# The scheduler's leader's row in service_heartbeats.
SCHEDULER_HEARTBEAT = "scheduler"


class ServiceHeartbeat(Base):
    """When a service last said it is alive (the scheduler's leader, each tick)."""

    __tablename__ = "service_heartbeats"

    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
