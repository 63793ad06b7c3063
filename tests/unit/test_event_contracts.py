"""The event contracts: a change to an event's JSON schema must be a deliberate, visible one."""

import json
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.events import (
    EVENT_TYPES,
    Event,
    NotificationDeferred,
    ResendRequested,
    RunCompleted,
    RunRequested,
    decode_event,
)
from shared.run_states import RunStatus

SNAPSHOT_DIR = Path(__file__).parent / "event_schemas"
RUN_ID = uuid.uuid4()
REPORT_ID = uuid.uuid4()


@pytest.mark.parametrize("routing_key", sorted(EVENT_TYPES))
def test_event_schema_matches_its_snapshot(routing_key: str) -> None:
    """To change a contract on purpose, update tests/unit/event_schemas/<routing key>.json."""
    schema = EVENT_TYPES[routing_key].model_json_schema()
    snapshot = SNAPSHOT_DIR / f"{routing_key}.json"
    assert json.loads(snapshot.read_text()) == schema


EXAMPLES = [
    RunRequested(run_id=RUN_ID, report_id=REPORT_ID),
    RunCompleted(run_id=RUN_ID, report_id=REPORT_ID, status=RunStatus.FAILED),
    NotificationDeferred(run_id=RUN_ID, recipient="ana@example.com", attempt=2),
    NotificationDeferred(
        run_id=RUN_ID,
        recipient="hooks.example.com",
        attempt=1,
        channel="WEBHOOK",
        resend_id=uuid.uuid4(),
    ),
    ResendRequested(run_id=RUN_ID, resend_id=uuid.uuid4(), recipients=["ana@example.com"]),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda event: event.routing_key)
def test_event_decodes_from_its_own_json(event: Event) -> None:
    assert decode_event(event.routing_key, event.model_dump_json().encode()) == event


# Version 1 bodies as the api, the scheduler and the runner wrote them before version 2.
VERSION_1_BODIES = {
    "run.requested": {
        "event_id": "0b6b4f4e-2a56-4a53-9d3c-64a8f1b1c0a1",
        "occurred_at": "2024-01-15T09:00:00.000012Z",
        "schema_version": 1,
        "run_id": str(RUN_ID),
        "report_id": str(REPORT_ID),
        "trigger": "SCHEDULE",
        "scheduled_for": "2024-01-15T09:00:00Z",
        "requested_at": "2024-01-15T09:00:00.000012Z",
    },
    "run.completed": {
        "event_id": "7d1e1f8e-5a0c-4a8f-8f5e-2b7f5b0c9d12",
        "occurred_at": "2024-01-15T09:00:05Z",
        "schema_version": 1,
        "run_id": str(RUN_ID),
        "report_id": str(REPORT_ID),
        "status": "SUCCESS",
        "row_count": 150,
        "byte_size": 2048,
        "output_path": "outputs/Weekly_Sales_20240115_090000.csv",
        "error_message": None,
        "finished_at": "2024-01-15T09:00:05Z",
        "sha256": "10ea09c55f5925bf43bfc789dcd046de10a5c0fefd4fb38ceee4ac836289707d",
        "notes": None,
    },
}


# What version 2 keeps of each of them.
VERSION_2_FIELDS = {
    "run.requested": {"run_id": str(RUN_ID), "report_id": str(REPORT_ID)},
    "run.completed": {"run_id": str(RUN_ID), "report_id": str(REPORT_ID), "status": "SUCCESS"},
}


@pytest.mark.parametrize("routing_key", sorted(VERSION_1_BODIES))
def test_a_version_1_message_still_in_a_queue_is_read_as_version_2(routing_key: str) -> None:
    body = VERSION_1_BODIES[routing_key]
    event = decode_event(routing_key, json.dumps(body).encode())
    assert json.loads(event.model_dump_json()) == {
        "event_id": body["event_id"],
        "occurred_at": body["occurred_at"],
        "schema_version": 2,
        **VERSION_2_FIELDS[routing_key],
    }


def test_an_event_passed_on_never_claims_another_version_than_its_own() -> None:
    body = RunRequested(run_id=RUN_ID, report_id=REPORT_ID).model_dump() | {"schema_version": 1}
    assert RunRequested.model_validate(body).schema_version == 2


@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_a_run_completed_carries_a_final_status_only(status: RunStatus) -> None:
    with pytest.raises(ValidationError, match="final"):
        RunCompleted(run_id=RUN_ID, report_id=REPORT_ID, status=status)
