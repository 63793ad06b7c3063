"""Audit entries, added to the caller's transaction so an entry exists exactly when its change
does. Passwords and secrets are never written: a password change is recorded as `changed`."""

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.api.authentication import Caller
from shared.models import AuditEntry

# A report's channels hold URLs and secrets (sealed): the log says only that they changed.
SECRET_FIELDS = frozenset({"password", "password_hash", "token", "secret_sha256", "channels"})


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """`{"field": {"old": …, "new": …}}` for each field of `after` whose value differs."""
    changes: dict[str, Any] = {}
    for field, new in after.items():
        old = before.get(field)
        if field in SECRET_FIELDS:
            changes[field] = "changed"
        elif old != new:
            changes[field] = {"old": old, "new": new}
    return changes


def record(
    session: AsyncSession,
    caller: Caller | None,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID | None,
    details: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> None:
    session.add(
        AuditEntry(
            actor_id=caller.user_id if caller else None,
            actor_email=caller.email if caller else None,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details=dict(details or {}),
            version=version,
        )
    )
