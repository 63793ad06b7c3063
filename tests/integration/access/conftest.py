"""Accounts of each role, and credentials that must not work: unknown, revoked, expired."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from services.api.settings import ApiSettings
from tests.support.accounts import Account, create_account
from tests.support.api import api_client


@dataclass(frozen=True)
class Cast:
    viewer: Account
    editor: Account
    revoked: Account
    expired: Account


@pytest.fixture(scope="package")
async def cast(client: httpx.AsyncClient, database_url: str) -> Cast:
    viewer = await create_account(client, "viewer")
    editor = await create_account(client, "editor")
    revoked = await create_account(client, "editor")
    expired = await create_account(client, "editor", expires_in_days=1)
    response = await client.delete(f"/api/tokens/{revoked.token_id}")
    assert response.status_code == 204, response.text
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1",
            expired.token_id,
        )
    finally:
        await connection.close()
    return Cast(viewer, editor, revoked, expired)


@pytest.fixture(scope="package")
async def anonymous(api_settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The same API without the admin's token."""
    async with api_client(api_settings, as_admin=False) as client:
        yield client


@pytest.fixture(autouse=True)
def _signed_out(anonymous: httpx.AsyncClient) -> Iterator[None]:
    """No test inherits another's session cookie."""
    anonymous.cookies.clear()
    yield
    anonymous.cookies.clear()
