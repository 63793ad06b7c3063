"""The event contracts: a change to an event's JSON schema must be a deliberate, visible one."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.events import EVENT_TYPES, Event, RunCompleted, RunRequested, decode_event
from shared.models import RunStatus, RunTrigger

SNAPSHOT_DIR = Path(__file__).parent / "event_schemas"


@pytest.mark.parametrize("routing_key", sorted(EVENT_TYPES))
def test_event_schema_matches_its_snapshot(routing_key: str) -> None:
    """To change a contract on purpose, update tests/unit/event_schemas/<routing key>.json."""
    schema = EVENT_TYPES[routing_key].model_json_schema()
    snapshot = SNAPSHOT_DIR / f"{routing_key}.json"
    assert json.loads(snapshot.read_text()) == schema


EXAMPLES = [
    RunRequested(
        run_id=uuid.uuid4(),
        report_id=uuid.uuid4(),
        trigger=RunTrigger.SCHEDULE,
        scheduled_for=datetime(2024, 1, 15, 9, tzinfo=UTC),
        requested_at=datetime(2024, 1, 15, 9, 0, 0, 12, tzinfo=UTC),
    ),
    RunCompleted(
        run_id=uuid.uuid4(),
        report_id=uuid.uuid4(),
        status=RunStatus.FAILED,
        error_message="division by zero",
        finished_at=datetime(2024, 1, 15, 9, 0, 5, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda event: event.routing_key)
def test_event_decodes_from_its_own_json(event: Event) -> None:
    assert decode_event(event.routing_key, event.model_dump_json().encode()) == event
