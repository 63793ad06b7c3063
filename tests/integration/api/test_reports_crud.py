"""Report definitions through the API: create, read, list, partial update, delete."""

import uuid

import httpx

from tests.support.reports import report_body


async def test_created_report_is_returned_with_defaults_and_next_run(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/reports", json=report_body(schedule_cron="0 9 * * *", recipients=["a@example.com"])
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["timezone"] == "UTC"
    assert report["output_format"] == "CSV"
    assert report["is_active"] is True
    assert report["notify_on"] == "ALWAYS"
    assert report["recipients"] == ["a@example.com"]
    assert report["next_run_at"].endswith("T09:00:00Z")
    assert report["last_run"] is None
    fetched = await client.get(f"/api/reports/{report['id']}")
    assert fetched.json() == report


async def test_next_run_is_given_in_utc_for_a_report_in_another_zone(
    client: httpx.AsyncClient,
) -> None:
    body = report_body(schedule_cron="0 9 * * *", timezone="America/New_York")
    report = (await client.post("/api/reports", json=body)).json()
    assert report["next_run_at"].endswith(("T13:00:00Z", "T14:00:00Z"))  # EDT or EST


async def test_list_contains_created_reports(client: httpx.AsyncClient) -> None:
    created = (await client.post("/api/reports", json=report_body())).json()
    listed = (await client.get("/api/reports")).json()
    assert created["id"] in [report["id"] for report in listed]


async def test_partial_update_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    created = (
        await client.post("/api/reports", json=report_body(schedule_cron="0 9 * * *"))
    ).json()
    response = await client.put(f"/api/reports/{created['id']}", json={"is_active": False})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["is_active"] is False
    assert updated["next_run_at"] is None
    unchanged = {
        key: value
        for key, value in updated.items()
        if key not in {"is_active", "next_run_at", "updated_at"}
    }
    assert unchanged == {key: created[key] for key in unchanged}


async def test_update_can_clear_the_schedule(client: httpx.AsyncClient) -> None:
    created = (
        await client.post("/api/reports", json=report_body(schedule_cron="0 9 * * *"))
    ).json()
    updated = (
        await client.put(f"/api/reports/{created['id']}", json={"schedule_cron": None})
    ).json()
    assert updated["schedule_cron"] is None
    assert updated["next_run_at"] is None


async def test_delete_removes_the_report(client: httpx.AsyncClient) -> None:
    created = (await client.post("/api/reports", json=report_body())).json()
    assert (await client.delete(f"/api/reports/{created['id']}")).status_code == 204
    assert (await client.get(f"/api/reports/{created['id']}")).status_code == 404
    assert (await client.delete(f"/api/reports/{created['id']}")).status_code == 404


async def test_unknown_report_ids_are_404_on_every_route(client: httpx.AsyncClient) -> None:
    unknown = uuid.uuid4()
    responses = [
        await client.get(f"/api/reports/{unknown}"),
        await client.put(f"/api/reports/{unknown}", json={"is_active": False}),
        await client.delete(f"/api/reports/{unknown}"),
        await client.post(f"/api/reports/{unknown}/run"),
        await client.get(f"/api/reports/{unknown}/runs"),
        await client.get(f"/api/runs/{unknown}"),
        await client.get(f"/api/runs/{unknown}/download"),
    ]
    for response in responses:
        assert response.status_code == 404, response.request.url
        assert str(unknown) in response.json()["detail"]


async def test_openapi_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/reports/{report_id}/run" in paths
