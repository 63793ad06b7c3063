"""Event contracts between the services: frozen pydantic models, one per routing key."""

import uuid
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.models import ReportRun, RunStatus, RunTrigger


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Every event carries an id (for de-duplication), when it happened and its schema version."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    routing_key: ClassVar[str]

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=utc_now)
    schema_version: int = 1


class RunRequested(Event):
    """A run was queued (manually or by the schedule) and waits for a runner."""

    routing_key: ClassVar[str] = "run.requested"

    run_id: uuid.UUID
    report_id: uuid.UUID
    trigger: RunTrigger
    scheduled_for: datetime | None = None
    requested_at: datetime


class RunCompleted(Event):
    """A run finished, successfully or not."""

    routing_key: ClassVar[str] = "run.completed"

    run_id: uuid.UUID
    report_id: uuid.UUID
    status: RunStatus
    row_count: int | None = None
    byte_size: int | None = None
    output_path: str | None = None
    error_message: str | None = None
    finished_at: datetime
    # Added later (additive): the file's SHA-256 (hex) and notes for the user, on success.
    sha256: str | None = None
    notes: str | None = None

    @classmethod
    def announcing(cls, run: ReportRun) -> "RunCompleted":
        """The event a finished run's row stands for: written by the runner as it records the
        outcome, and again by the notifier for a run whose event never arrived."""
        if run.finished_at is None:
            raise ValueError(f"run {run.id} has not finished")
        return cls(
            run_id=run.id,
            report_id=run.report_id,
            status=run.status,
            row_count=run.row_count,
            byte_size=run.byte_size,
            output_path=run.output_path,
            error_message=run.error_message,
            finished_at=run.finished_at,
            sha256=run.sha256,
            notes=run.notes,
        )


class NotificationDeferred(Event):
    """Sending a notification failed transiently; it is due again after a delay.

    `attempt` is how many attempts the notification had when it was deferred, so a duplicate
    of this event cannot cause a second send (the notifier claims the row only at that count).
    """

    routing_key: ClassVar[str] = "notification.deferred"

    run_id: uuid.UUID
    recipient: str
    attempt: int


EVENT_TYPES: dict[str, type[Event]] = {
    RunRequested.routing_key: RunRequested,
    RunCompleted.routing_key: RunCompleted,
    NotificationDeferred.routing_key: NotificationDeferred,
}


def decode_event(routing_key: str, body: bytes) -> Event:
    """Raises KeyError for an unknown routing key and pydantic.ValidationError for a bad body."""
    return EVENT_TYPES[routing_key].model_validate_json(body)
