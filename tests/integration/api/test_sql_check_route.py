"""A report's SQL can be checked by the data source without saving anything."""

import httpx

from services.api.settings import ApiSettings
from tests.support.api import api_client


async def test_a_query_the_data_source_prepares_is_valid_and_nothing_is_saved(
    client: httpx.AsyncClient,
) -> None:
    before = len((await client.get("/api/reports")).json())
    response = await client.post("/api/sql/check", json={"sql_query": "  SELECT 1 AS one  "})
    assert response.status_code == 200, response.text
    assert response.json() == {"valid": True, "sql_query": "SELECT 1 AS one"}
    assert len((await client.get("/api/reports")).json()) == before


async def test_a_broken_query_answers_postgresqls_message_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/sql/check", json={"sql_query": "SELECT nope FROM nowhere"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "sql_query"]
    assert error["msg"] == 'relation "nowhere" does not exist (at character 18)'


async def test_two_statements_are_refused_as_on_save(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/sql/check", json={"sql_query": "SELECT 1; SELECT 2"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "sql_query"]


async def test_sql_over_the_reports_limit_is_refused_before_the_data_source_sees_it(
    api_settings: ApiSettings,
) -> None:
    settings = api_settings.model_copy(update={"max_report_sql_chars": 20})
    async with api_client(settings) as small:
        response = await small.post("/api/sql/check", json={"sql_query": "SELECT 1 AS " + "x" * 20})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "sql_query"]
    assert "MAX_REPORT_SQL_CHARS" in error["msg"]


async def test_empty_sql_and_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    empty = await client.post("/api/sql/check", json={"sql_query": "   "})
    extra = await client.post("/api/sql/check", json={"sql_query": "SELECT 1", "run": True})
    assert empty.status_code == 422
    assert extra.status_code == 422
