"""API tokens: shown once, stored as a digest, listed without their secret, revocable, with an
optional expiry; last_used_at follows their use."""

import hashlib

import asyncpg
import httpx

from tests.support.accounts import bearer, create_account


async def test_a_token_is_shown_once_and_stored_as_its_sha256(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    response = await client.post("/api/tokens", json={"name": "ci", "expires_in_days": 30})
    assert response.status_code == 201
    created = response.json()
    assert set(created) >= {"id", "name", "token", "created_at", "last_used_at", "expires_at"}
    assert created["token"].startswith("rfk_")
    assert len(created["token"]) >= 40
    assert created["expires_at"] is not None
    stored = await db.fetchval(
        "SELECT secret_sha256 FROM api_tokens WHERE id = $1::uuid", created["id"]
    )
    assert stored == hashlib.sha256(created["token"].encode()).hexdigest()
    listed = (await client.get("/api/tokens")).json()
    assert created["id"] in {token["id"] for token in listed}
    assert all("token" not in token for token in listed)


async def test_last_used_at_is_set_when_the_token_is_used(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    viewer = await create_account(client, "viewer")
    await anonymous.get("/api/reports", headers=viewer.headers)
    listed = (await anonymous.get("/api/tokens", headers=viewer.headers)).json()
    assert [token["last_used_at"] is not None for token in listed] == [True]


async def test_non_admins_see_and_revoke_only_their_own_tokens(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    other = await create_account(client, "editor")
    listed = (await anonymous.get("/api/tokens", headers=editor.headers)).json()
    assert [token["id"] for token in listed] == [editor.token_id]
    others = await anonymous.delete(f"/api/tokens/{other.token_id}", headers=editor.headers)
    for_other = await anonymous.post(
        "/api/tokens", json={"name": "x", "user_id": other.id}, headers=editor.headers
    )
    assert (others.status_code, for_other.status_code) == (404, 403)
    own = await anonymous.delete(f"/api/tokens/{editor.token_id}", headers=editor.headers)
    assert own.status_code == 204
    assert (await anonymous.get("/api/me", headers=bearer(editor.token))).status_code == 401
