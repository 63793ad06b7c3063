"""Accounts: created by admins with a password of at least 12 characters, e-mails unique
whatever their case, and each user may change their own password but not their role."""

import asyncpg
import httpx

from tests.support.accounts import create_account


async def test_a_short_password_is_a_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users",
        json={"email": "short@example.com", "password": "elevenchars", "role": "viewer"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


async def test_e_mails_are_unique_whatever_their_case(client: httpx.AsyncClient) -> None:
    viewer = await create_account(client, "viewer")
    response = await client.post(
        "/api/users",
        json={"email": viewer.email.upper(), "password": "another-password-1", "role": "editor"},
    )
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


async def test_the_password_is_stored_as_an_argon2_hash(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    viewer = await create_account(client, "viewer")
    stored = await db.fetchval("SELECT password_hash FROM accounts WHERE email = $1", viewer.email)
    assert stored.startswith("$argon2id$")
    assert viewer.password not in stored


async def test_users_change_their_own_password_but_not_their_role(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    new_password = "a-brand-new-password-42"
    own = await anonymous.patch(
        f"/api/users/{editor.id}", json={"password": new_password}, headers=editor.headers
    )
    promote = await anonymous.patch(
        f"/api/users/{editor.id}", json={"role": "admin"}, headers=editor.headers
    )
    assert (own.status_code, promote.status_code) == (200, 403)
    login = await anonymous.post(
        "/api/auth/login", json={"email": editor.email, "password": new_password}
    )
    assert login.status_code == 200


async def test_me_answers_the_caller(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    viewer = await create_account(client, "viewer")
    me = (await anonymous.get("/api/me", headers=viewer.headers)).json()
    assert (me["id"], me["email"], me["role"]) == (viewer.id, viewer.email, "viewer")
    assert "password_hash" not in me


async def test_the_last_active_admin_cannot_be_demoted(client: httpx.AsyncClient) -> None:
    me = (await client.get("/api/me")).json()
    admins = [
        user
        for user in (await client.get("/api/users")).json()
        if user["role"] == "admin" and user["is_active"] and user["id"] != me["id"]
    ]
    for other in admins:  # other tests' admins, so that this one is the last
        await client.patch(f"/api/users/{other['id']}", json={"is_active": False})
    response = await client.patch(f"/api/users/{me['id']}", json={"role": "viewer"})
    assert response.status_code == 409
    for other in admins:
        await client.patch(f"/api/users/{other['id']}", json={"is_active": True})
