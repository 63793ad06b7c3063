"""The audit log records who created, changed, ran and deleted reports, tokens and accounts,
with old and new values but never a secret, and outlives what it describes."""

from typing import Any

import httpx

from tests.support.accounts import create_account
from tests.support.reports import report_body


async def _entries_about(client: httpx.AsyncClient, subject_id: str) -> list[dict[str, Any]]:
    entries = (await client.get("/api/audit", params={"limit": 500})).json()
    return [entry for entry in entries if entry["subject_id"] == subject_id]


async def test_a_report_s_life_is_recorded_newest_first_and_survives_its_deletion(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    headers = editor.headers
    report = (await anonymous.post("/api/reports", json=report_body(), headers=headers)).json()
    path = f"/api/reports/{report['id']}"
    await anonymous.put(path, json={"description": "new", "is_active": False}, headers=headers)
    await anonymous.post(f"{path}/run", headers=headers)
    assert (await anonymous.delete(path, headers=headers)).status_code == 204
    entries = await _entries_about(client, report["id"])
    assert [entry["action"] for entry in entries] == [
        "report.deleted",
        "report.run",
        "report.changed",
        "report.created",
    ]
    assert {entry["actor_email"] for entry in entries} == {editor.email}
    assert entries[2]["details"] == {
        "description": {"old": None, "new": "new"},
        "is_active": {"old": True, "new": False},
    }


async def test_account_and_token_changes_are_recorded_without_secrets(
    client: httpx.AsyncClient,
) -> None:
    viewer = await create_account(client, "viewer")
    await client.patch(
        f"/api/users/{viewer.id}", json={"password": "another-secret-9", "role": "editor"}
    )
    await client.delete(f"/api/tokens/{viewer.token_id}")
    user_entries = await _entries_about(client, viewer.id)
    token_entries = await _entries_about(client, viewer.token_id)
    assert [entry["action"] for entry in user_entries] == ["user.changed", "user.created"]
    assert user_entries[0]["details"] == {
        "role": {"old": "viewer", "new": "editor"},
        "password": "changed",
    }
    assert [entry["action"] for entry in token_entries] == ["token.revoked", "token.created"]
    text = str(user_entries + token_entries)
    for secret in ("another-secret-9", viewer.password, viewer.token):
        assert secret not in text


async def test_the_audit_log_is_paginated_with_its_total(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/audit", params={"limit": 2, "offset": 1})
    assert response.status_code == 200
    assert len(response.json()) == 2
    assert int(response.headers["X-Total-Count"]) >= 3
