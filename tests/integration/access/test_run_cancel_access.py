"""Who may cancel a run: the owner of its report, or an admin; the cancel is audited."""

import asyncio

import httpx

from tests.support.accounts import create_account
from tests.support.reports import report_body

# Slow enough to be QUEUED or RUNNING whenever it is cancelled, with or without a runner.
SLOW = "SELECT pg_sleep(5)::text AS slept"


async def _queued_run(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> str:
    report = await client.post("/api/reports", json=report_body(sql_query=SLOW), headers=headers)
    assert report.status_code == 201, report.text
    run = await client.post(f"/api/reports/{report.json()['id']}/run", headers=headers)
    assert run.status_code == 202, run.text
    return str(run.json()["id"])


async def _until_cancelled(client: httpx.AsyncClient, run_id: str) -> None:
    """At once for a QUEUED run; within seconds for one a runner of the session had taken."""
    for _ in range(100):
        if (await client.get(f"/api/runs/{run_id}")).json()["status"] == "CANCELLED":
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} was not CANCELLED within 10 s")


async def test_an_editor_cancels_runs_of_their_own_reports_only(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    editor = await create_account(client, "editor")
    viewer = await create_account(client, "viewer")
    others = await _queued_run(client)
    own = await _queued_run(anonymous, editor.headers)

    by_viewer = await anonymous.post(f"/api/runs/{own}/cancel", headers=viewer.headers)
    of_others = await anonymous.post(f"/api/runs/{others}/cancel", headers=editor.headers)
    of_own = await anonymous.post(f"/api/runs/{own}/cancel", headers=editor.headers)
    by_admin = await client.post(f"/api/runs/{others}/cancel")

    assert (by_viewer.status_code, of_others.status_code) == (403, 403)
    assert (of_own.status_code, by_admin.status_code) == (202, 202)
    assert of_own.json()["cancel_requested_at"] is not None


async def test_a_cancel_is_written_to_the_audit_log(client: httpx.AsyncClient) -> None:
    run_id = await _queued_run(client)
    response = await client.post(f"/api/runs/{run_id}/cancel")
    entries = (await client.get("/api/audit", params={"limit": 20})).json()
    cancels = [entry for entry in entries if entry["subject_id"] == run_id]
    assert response.status_code == 202
    assert [entry["action"] for entry in cancels] == ["run.cancelled"]
    assert cancels[0]["subject_type"] == "run"
    assert cancels[0]["details"]["status"] in {"QUEUED", "RUNNING"}


async def test_a_malformed_run_id_is_a_422_not_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/runs/not-a-uuid/cancel")
    assert response.status_code == 422


async def test_cancelled_runs_are_found_by_the_status_filter(client: httpx.AsyncClient) -> None:
    report = await client.post("/api/reports", json=report_body(sql_query=SLOW))
    report_id = report.json()["id"]
    runs = [await client.post(f"/api/reports/{report_id}/run") for _ in range(2)]
    await client.post(f"/api/runs/{runs[0].json()['id']}/cancel")
    await _until_cancelled(client, runs[0].json()["id"])
    cancelled = await client.get(f"/api/reports/{report_id}/runs", params={"status": "CANCELLED"})
    await client.post(f"/api/runs/{runs[1].json()['id']}/cancel")
    assert [run["id"] for run in cancelled.json()] == [runs[0].json()["id"]]
    assert cancelled.json()[0]["status"] == "CANCELLED"
