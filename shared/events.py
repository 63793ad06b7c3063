"""Event contracts between the services: frozen pydantic models, one per routing key.

The database is the record: an event carries ids and the few facts its routing or its
consumers need, and a consumer reads everything else from the tables.
"""

import uuid
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.run_states import RunStatus


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Every event carries an id (for de-duplication), when it happened and its schema version.

    A consumer reads a message of an older version of its contract (one that waited in a queue
    during an upgrade) as the current version: the fields that version dropped are ignored.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")
    routing_key: ClassVar[str]

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=utc_now)
    schema_version: int = 1

    @field_validator("schema_version")
    @classmethod
    def _read_as_current_version(cls, version: int) -> int:
        # So an event passed on (a runner handing a request back) never claims a version whose
        # fields it does not carry.
        current: int = cls.model_fields["schema_version"].default
        return current


class RunRequested(Event):
    """A run was queued (manually or by the schedule) and waits for a runner.

    Written by shared.run_queue for the api, the scheduler and the runner (a run queued again).
    The runner reads `run_id` and claims the run in report_runs. Version 2 dropped `trigger`,
    `scheduled_for` and `requested_at`: the run's row has them.
    """

    routing_key: ClassVar[str] = "run.requested"

    schema_version: int = 2
    run_id: uuid.UUID
    report_id: uuid.UUID


class RunCompleted(Event):
    """A run finished; `status` is its final status.

    Written by the runner as it records the outcome (SKIPPED included), and by the api when it
    cancels a run that was still QUEUED. The notifier reads `run_id` and the run
    and its report from the tables. Version 2 dropped `row_count`, `byte_size`, `output_path`,
    `error_message`, `finished_at`, `sha256` and `notes`: the run's row has them.
    """

    routing_key: ClassVar[str] = "run.completed"

    schema_version: int = 2
    run_id: uuid.UUID
    report_id: uuid.UUID
    status: RunStatus

    @field_validator("status")
    @classmethod
    def _is_final(cls, status: RunStatus) -> RunStatus:
        if not status.is_finished:
            raise ValueError(f"a completed run's status is a final one, not {status}")
        return status


class NotificationDeferred(Event):
    """Sending a notification failed transiently; it is due again after a delay.

    Published by the notifier (straight to the broker, through a delay queue) for itself.
    `attempt` is how many attempts the notification had when it was deferred, so a duplicate
    of this event cannot cause a second send (the notifier claims the row only at that count).
    `channel`, `recipient` (the target's non-secret label) and `resend_id` name the ledger
    row; the last two fields were added with defaults, so an older message is an e-mail of the
    run's own delivery.
    """

    routing_key: ClassVar[str] = "notification.deferred"

    run_id: uuid.UUID
    recipient: str
    attempt: int
    channel: str = "EMAIL"
    resend_id: uuid.UUID | None = None


class ResendRequested(Event):
    """Someone asked for a finished run's file to be delivered again, without re-running it.

    Written by the api (POST /api/runs/{id}/resend) through its outbox. The notifier reads
    `run_id`, `resend_id` (the key of this resend's own ledger rows) and `recipients` (the
    e-mail addresses to send to; null: the report's recipients and channels).
    """

    routing_key: ClassVar[str] = "run.resend-requested"

    run_id: uuid.UUID
    resend_id: uuid.UUID
    recipients: list[str] | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    RunRequested.routing_key: RunRequested,
    RunCompleted.routing_key: RunCompleted,
    NotificationDeferred.routing_key: NotificationDeferred,
    ResendRequested.routing_key: ResendRequested,
}


def decode_event(routing_key: str, body: bytes) -> Event:
    """Raises KeyError for an unknown routing key and pydantic.ValidationError for a bad body."""
    return EVENT_TYPES[routing_key].model_validate_json(body)
