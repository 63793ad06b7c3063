"""What GET /api/alerts answers: an alert the notifier's watchdog opened (docs/alerts.md)."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.models import AlertKind


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: AlertKind
    # Null for a system alert (scheduler_down, dead_letters_growing).
    report_id: uuid.UUID | None
    # A non-secret label within the kind: an address or host, a run's id, a queue's name.
    target: str | None
    since: datetime
    last_seen: datetime
    # Null while the alert is open.
    resolved_at: datetime | None
    # What was noticed (a reason, a slot, a count); never a URL or a secret.
    details: dict[str, Any]
    # When its notice was mailed (to the report's owner, or the admins); null until then.
    notice_sent_at: datetime | None
