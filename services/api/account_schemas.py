"""Request and response bodies for accounts, API tokens, sign-in and the audit log."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from services.api.access_settings import MIN_PASSWORD_LENGTH
from shared.models import Role

MAX_PASSWORD_LENGTH = 1024  # argon2 hashes any length; this bounds the work per request


def _lower(email: str) -> str:
    return email.lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    role: Role
    display_name: DisplayName | None = None


class UserUpdate(BaseModel):
    """Every field optional; a non-admin may send only `password` and `display_name`."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    is_active: bool | None = None
    password: Password | None = None
    display_name: DisplayName | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str | None
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TokenName
    # Admins only: a token for another account (default: the caller's own).
    user_id: uuid.UUID | None = None
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class TokenCreated(TokenOut):
    # The secret, shown this once: only its digest is stored.
    token: str


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(max_length=320)]
    password: Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]


class SignedIn(BaseModel):
    user: UserOut
    # Send it as X-CSRF-Token with every POST, PUT, PATCH and DELETE of this session.
    csrf_token: str
    expires_at: datetime


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_email: str | None
    action: str
    subject_type: str
    subject_id: uuid.UUID | None
    details: dict[str, Any]
    # A report's definition version (GET /api/reports/{id}/versions), or null.
    version: int | None = None
