"""Bad report definitions get a 4xx that names the field, with PostgreSQL's own message for SQL."""

from typing import Any

import httpx
import pytest

from tests.support.reports import report_body


def _error_field(response: httpx.Response) -> str:
    detail = response.json()["detail"]
    return str(detail[0]["loc"][1])


def _error_message(response: httpx.Response) -> str:
    return str(response.json()["detail"][0]["msg"])


@pytest.mark.parametrize(
    ("fields", "field", "message_part"),
    [
        ({"schedule_cron": "61 * * * *"}, "schedule_cron", "61 is outside 0-59"),
        ({"schedule_cron": "0 0 9 * * *"}, "schedule_cron", "5-field"),
        ({"schedule_cron": "every monday"}, "schedule_cron", "5-field"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "unknown time zone"),
        ({"recipients": ["finance@example.com", "not-an-address"]}, "recipients", "email"),
        ({"sql_query": "   "}, "sql_query", "at least 1 character"),
        ({"name": ""}, "name", "at least 1 character"),
        ({"output_format": "PDF"}, "output_format", "CSV"),
        ({"unknown_field": 1}, "unknown_field", "Extra inputs"),
        ({"retention_days": 0}, "retention_days", "greater than or equal to 1"),
        ({"retention_days": 3651}, "retention_days", "less than or equal to 3650"),
    ],
)
async def test_invalid_field_is_named_in_a_422(
    client: httpx.AsyncClient, fields: dict[str, Any], field: str, message_part: str
) -> None:
    response = await client.post("/api/reports", json=report_body(**fields))
    assert response.status_code == 422, response.text
    assert _error_field(response) == field
    assert message_part.lower() in _error_message(response).lower()


@pytest.mark.parametrize(
    ("sql", "postgres_message"),
    [
        ("SELECT 1; SELECT 2", "cannot insert multiple commands into a prepared statement"),
        ("SELECT 1) TO STDOUT; DELETE FROM reports; COPY (SELECT 1", 'syntax error at or near ")"'),
        ("SELEC 1", 'syntax error at or near "SELEC"'),
        ("SELECT * FROM no_such_table", 'relation "no_such_table" does not exist'),
        ("SELECT no_such_column FROM awkward_values", 'column "no_such_column" does not exist'),
        ("DELETE FROM victims", "must return rows"),
    ],
)
async def test_sql_is_checked_by_postgresql_on_create(
    client: httpx.AsyncClient, sql: str, postgres_message: str
) -> None:
    response = await client.post("/api/reports", json=report_body(sql_query=sql))
    assert response.status_code == 422, response.text
    assert _error_field(response) == "sql_query"
    assert postgres_message in _error_message(response)


async def test_sql_is_checked_on_update_too(client: httpx.AsyncClient) -> None:
    created = (await client.post("/api/reports", json=report_body())).json()
    response = await client.put(f"/api/reports/{created['id']}", json={"sql_query": "SELECT 1;;"})
    assert response.status_code == 200
    assert response.json()["sql_query"] == "SELECT 1"
    response = await client.put(f"/api/reports/{created['id']}", json={"sql_query": "SELEC 1"})
    assert response.status_code == 422
    assert _error_field(response) == "sql_query"


async def test_invalid_cron_on_update_is_a_422(client: httpx.AsyncClient) -> None:
    created = (await client.post("/api/reports", json=report_body())).json()
    response = await client.put(f"/api/reports/{created['id']}", json={"schedule_cron": "* *"})
    assert response.status_code == 422
    assert _error_field(response) == "schedule_cron"


async def test_null_for_a_required_field_on_update_is_a_422(client: httpx.AsyncClient) -> None:
    created = (await client.post("/api/reports", json=report_body())).json()
    response = await client.put(f"/api/reports/{created['id']}", json={"sql_query": None})
    assert response.status_code == 422
    assert _error_field(response) == "sql_query"


async def test_duplicate_name_is_a_409_naming_the_field(client: httpx.AsyncClient) -> None:
    body = report_body()
    assert (await client.post("/api/reports", json=body)).status_code == 201
    response = await client.post("/api/reports", json={**body, "sql_query": "SELECT 2"})
    assert response.status_code == 409
    assert _error_field(response) == "name"


async def test_renaming_onto_an_existing_name_is_a_409(client: httpx.AsyncClient) -> None:
    first = (await client.post("/api/reports", json=report_body())).json()
    second = (await client.post("/api/reports", json=report_body())).json()
    response = await client.put(f"/api/reports/{second['id']}", json={"name": first["name"]})
    assert response.status_code == 409
    assert _error_field(response) == "name"


async def test_malformed_ids_and_json_are_422s(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/reports/not-a-uuid")).status_code == 422
    response = await client.post(
        "/api/reports", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "sql",
    [
        "EXPLAIN ANALYZE SELECT 1",
        "SHOW work_mem",
        "WITH gone AS (DELETE FROM victims RETURNING id) SELECT * FROM gone",
    ],
)
async def test_statements_that_are_not_queries_are_refused(
    client: httpx.AsyncClient, sql: str
) -> None:
    response = await client.post("/api/reports", json=report_body(sql_query=sql))
    assert response.status_code == 422
    assert _error_field(response) == "sql_query"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "nul\x00byte"}, "name"),
        ({"description": "nul\x00byte"}, "description"),
        ({"schedule_cron": "0 0 30 2 *"}, "schedule_cron"),
        ({"schedule_cron": "0 0 31 4 *", "is_active": False}, "schedule_cron"),
        ({"schedule_cron": f"{','.join(map(str, range(40)))} * * * *"}, "schedule_cron"),
    ],
)
async def test_values_the_database_cannot_store_or_use_are_422s(
    client: httpx.AsyncClient, fields: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/reports", json=report_body(**fields))
    assert response.status_code == 422, response.text
    assert _error_field(response) == field


async def test_an_absurd_page_offset_is_a_422(client: httpx.AsyncClient) -> None:
    report = (await client.post("/api/reports", json=report_body())).json()
    response = await client.get(
        f"/api/reports/{report['id']}/runs", params={"offset": "99999999999999999999"}
    )
    assert response.status_code == 422
