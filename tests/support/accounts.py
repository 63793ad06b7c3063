"""The tests' bootstrap admin, and accounts of each role to act as (through an API token)."""

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

ADMIN_EMAIL = "admin@example.com"
# Random for each test session: nothing here is a credential outside it.
ADMIN_PASSWORD = secrets.token_urlsafe(18)
ADMIN_TOKEN = secrets.token_urlsafe(32)
# The key the services under test sign and check mailed download links with.
LINK_SIGNING_KEY = secrets.token_urlsafe(32)
ACCOUNT_PASSWORD_LENGTH = 18


def admin_env() -> dict[str, str]:
    """The services' secrets in the tests: the bootstrap admin and the link-signing key."""
    return {
        "REPORTFLOW_ADMIN_EMAIL": ADMIN_EMAIL,
        "REPORTFLOW_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "REPORTFLOW_ADMIN_TOKEN": ADMIN_TOKEN,
        "LINK_SIGNING_KEY": LINK_SIGNING_KEY,
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    password: str
    token: str
    token_id: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


async def create_account(admin: httpx.AsyncClient, role: str, **token_fields: Any) -> Account:
    """A new account of `role` and an API token for it, made by the admin client."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    password = secrets.token_urlsafe(ACCOUNT_PASSWORD_LENGTH)
    user = await admin.post("/api/users", json={"email": email, "password": password, "role": role})
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]
    token = await admin.post(
        "/api/tokens", json={"name": f"{role} tests", "user_id": user_id, **token_fields}
    )
    assert token.status_code == 201, token.text
    return Account(user_id, email, password, token.json()["token"], token.json()["id"])
