"""Every route that takes a report or run id answers an unknown id with a 404 naming it."""

import time
import uuid

import httpx
import pytest

ROUTES_WITH_AN_ID = [
    ("GET", "/api/reports/{id}", "report"),
    ("PUT", "/api/reports/{id}", "report"),
    ("DELETE", "/api/reports/{id}", "report"),
    ("POST", "/api/reports/{id}/run", "report"),
    ("GET", "/api/reports/{id}/runs", "report"),
    ("GET", "/api/runs/{id}", "run"),
    ("GET", "/api/runs/{id}/notifications", "run"),
    ("GET", "/api/runs/{id}/download", "run"),
]
UPDATE_BODY = {"is_active": False}


@pytest.mark.parametrize(("method", "path", "what"), ROUTES_WITH_AN_ID)
async def test_an_unknown_id_is_a_404_naming_it(
    client: httpx.AsyncClient, method: str, path: str, what: str
) -> None:
    unknown = uuid.uuid4()
    body = UPDATE_BODY if method == "PUT" else None
    response = await client.request(method, path.format(id=unknown), json=body)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"{what} {unknown} not found"}


async def test_waiting_for_a_run_of_an_unknown_report_is_a_404_at_once(
    client: httpx.AsyncClient,
) -> None:
    unknown = uuid.uuid4()
    started = time.monotonic()
    response = await client.post(f"/api/reports/{unknown}/run", params={"wait": 60})
    assert time.monotonic() - started < 5
    assert response.status_code == 404
    assert response.json() == {"detail": f"report {unknown} not found"}


@pytest.mark.parametrize(("method", "path", "what"), ROUTES_WITH_AN_ID)
async def test_the_404_is_documented_in_the_openapi_schema(
    client: httpx.AsyncClient, method: str, path: str, what: str
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    template = path.replace("{id}", "{report_id}" if what == "report" else "{run_id}")
    not_found = paths[template][method.lower()]["responses"]["404"]
    assert what in not_found["description"].lower()
    schema = not_found["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorDetail"}
