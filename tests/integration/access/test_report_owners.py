"""Reports have an owner: the creator, answered with its e-mail; admins hand reports over."""

import httpx

from tests.support.accounts import create_account
from tests.support.reports import report_body


async def test_the_creator_owns_a_new_report(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    response = await anonymous.post("/api/reports", json=report_body(), headers=editor.headers)
    assert response.status_code == 201
    assert (response.json()["owner_id"], response.json()["owner_email"]) == (
        editor.id,
        editor.email,
    )


async def test_an_admin_hands_a_report_to_another_editor_who_may_then_change_it(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    report = (await client.post("/api/reports", json=report_body())).json()
    before = await anonymous.put(
        f"/api/reports/{report['id']}", json={"description": "x"}, headers=editor.headers
    )
    handed = await client.put(f"/api/reports/{report['id']}", json={"owner_id": editor.id})
    after = await anonymous.put(
        f"/api/reports/{report['id']}", json={"description": "x"}, headers=editor.headers
    )
    assert (before.status_code, handed.status_code, after.status_code) == (403, 200, 200)
    assert handed.json()["owner_email"] == editor.email


async def test_only_admins_reassign_and_only_to_an_active_editor_or_admin(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    viewer = await create_account(client, "viewer")
    own = (await anonymous.post("/api/reports", json=report_body(), headers=editor.headers)).json()
    by_editor = await anonymous.put(
        f"/api/reports/{own['id']}", json={"owner_id": viewer.id}, headers=editor.headers
    )
    to_viewer = await client.put(f"/api/reports/{own['id']}", json={"owner_id": viewer.id})
    assert (by_editor.status_code, to_viewer.status_code) == (403, 422)
    assert to_viewer.json()["detail"][0]["loc"] == ["body", "owner_id"]
