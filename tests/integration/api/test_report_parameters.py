"""Report parameters through the API: declarations and placeholders checked when a report is
saved, a manual run's values checked when it is requested; every refusal a 422 naming it."""

from typing import Any

import httpx
import pytest

from tests.support.api import create_report
from tests.support.reports import report_body

DECLARED = [
    {"name": "n", "type": "integer", "default": 3},
    {"name": "ids", "type": "integer[]"},
]
SQL = "SELECT g AS value FROM generate_series(1, {{ n }}) AS g WHERE g = ANY({{ ids }})"


def _refusal(response: httpx.Response) -> tuple[list[Any], str]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    return detail["loc"], detail["msg"]


@pytest.mark.parametrize(
    ("sql", "parameters", "loc", "message"),
    [
        ("SELECT '{{ n }}' AS t", DECLARED, ["body", "sql_query"], "inside a string literal"),
        ("SELECT 1 AS t -- {{ n }}", DECLARED, ["body", "sql_query"], "inside a comment"),
        ("SELECT $$ {{ n }} $$ AS t", DECLARED, ["body", "sql_query"], "dollar-quoted"),
        ('SELECT 1 AS "{{ n }}"', DECLARED, ["body", "sql_query"], "quoted identifier"),
        ("SELECT {{ nope }} AS t", DECLARED, ["body", "sql_query"], "names no declared"),
        ("SELECT {{ n AS t", DECLARED, ["body", "sql_query"], "does not start a placeholder"),
        (
            "SELECT 1 AS t",
            [{"name": "n", "type": "integer"}, {"name": "n", "type": "text"}],
            ["body", "parameters", 1, "name"],
            "declared twice",
        ),
        (
            "SELECT 1 AS t",
            [{"name": "last_week_start", "type": "date"}],
            ["body", "parameters", 0, "name"],
            "built-in date macro",
        ),
        (
            "SELECT 1 AS t",
            [{"name": "n", "type": "integer", "default": "three"}],
            ["body", "parameters", 0, "default"],
            "expected an integer",
        ),
        (
            "SELECT 1 AS t",
            [{"name": "n", "type": "decimal"}],
            ["body", "parameters", 0, "type"],
            "",
        ),
        (
            "SELECT 1 AS t",
            [{"name": "n", "type": "integer", "default": 1}] * 51,
            ["body", "parameters"],
            "at most 50",
        ),
        # PostgreSQL prepares the rewritten statement: a text compared with an integer fails.
        (
            "SELECT 1 AS t WHERE 1 = {{ who }}",
            [{"name": "who", "type": "text", "default": "x"}],
            ["body", "sql_query"],
            "operator does not exist: integer = text",
        ),
    ],
)
async def test_report_with_bad_parameters_is_refused_naming_the_field(
    client: httpx.AsyncClient,
    sql: str,
    parameters: list[dict[str, Any]],
    loc: list[Any],
    message: str,
) -> None:
    response = await client.post(
        "/api/reports", json=report_body(sql_query=sql, parameters=parameters)
    )
    got_loc, got_message = _refusal(response)
    assert got_loc == loc
    assert message in got_message


async def test_sql_error_position_is_in_the_sql_as_written(client: httpx.AsyncClient) -> None:
    # after two placeholders whose typed references are far longer than they are
    sql = "SELECT {{ n }} AS a, {{ last_week_start }} AS b FROM nowhere"
    response = await client.post(
        "/api/reports",
        json=report_body(sql_query=sql, parameters=[{"name": "n", "type": "integer"}]),
    )
    loc, message = _refusal(response)
    assert loc == ["body", "sql_query"]
    assert message.endswith(f"(at character {sql.index('nowhere') + 1})"), message


async def test_scheduled_report_needs_a_default_for_every_parameter(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/reports",
        json=report_body(sql_query=SQL, parameters=DECLARED, schedule_cron="0 8 * * 1"),
    )
    loc, message = _refusal(response)
    assert loc == ["body", "parameters", 1, "default"]
    assert "scheduled runs use the defaults" in message


async def test_report_keeps_its_placeholders_and_answers_its_declarations(
    client: httpx.AsyncClient,
) -> None:
    report_id = await create_report(
        client, SQL + ";", parameters=[*DECLARED, {"name": "on", "type": "boolean"}]
    )
    report = (await client.get(f"/api/reports/{report_id}")).json()
    assert report["sql_query"] == SQL
    assert report["parameters"] == [
        {"name": "n", "type": "integer", "default": 3},
        {"name": "ids", "type": "integer[]", "default": None},
        {"name": "on", "type": "boolean", "default": None},
    ]


async def test_update_that_drops_a_parameter_the_sql_uses_is_refused(
    client: httpx.AsyncClient,
) -> None:
    report_id = await create_report(client, SQL, parameters=DECLARED)
    response = await client.put(f"/api/reports/{report_id}", json={"parameters": [DECLARED[1]]})
    loc, message = _refusal(response)
    assert loc == ["body", "sql_query"]
    assert "{{ n }}" in message


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"parameters": {"ids": [1], "n": "five"}}, ["body", "parameters", "n"], "integer"),
        ({"parameters": {"ids": "1,2"}}, ["body", "parameters", "ids"], "a list"),
        ({"parameters": {"ids": [1], "x": 1}}, ["body", "parameters", "x"], "unknown parameter"),
        ({"parameters": {"n": 1}}, ["body", "parameters", "ids"], "has no default"),
        ({}, ["body", "parameters", "ids"], "has no default"),
        ({"params": {}}, ["body", "params"], "Extra inputs"),
    ],
)
async def test_run_with_bad_values_is_refused_naming_the_parameter(
    client: httpx.AsyncClient, body: dict[str, Any], loc: list[Any], message: str
) -> None:
    report_id = await create_report(client, SQL, parameters=DECLARED)
    response = await client.post(f"/api/reports/{report_id}/run", json=body)
    got_loc, got_message = _refusal(response)
    assert got_loc == loc
    assert message in got_message
    runs = await client.get(f"/api/reports/{report_id}/runs")
    assert runs.json() == []


async def test_run_records_the_values_it_asked_for(client: httpx.AsyncClient) -> None:
    report_id = await create_report(client, SQL, parameters=DECLARED)
    response = await client.post(
        f"/api/reports/{report_id}/run", json={"parameters": {"ids": ["2", 3]}}
    )
    assert response.status_code == 202, response.text
    assert response.json()["requested_parameters"] == {"ids": [2, 3]}
    assert response.json()["parameters"] is None  # resolved by the runner that claims it


async def test_run_without_a_body_still_works(client: httpx.AsyncClient) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    response = await client.post(f"/api/reports/{report_id}/run")
    assert response.status_code == 202, response.text
    assert response.json()["requested_parameters"] is None


async def test_openapi_documents_the_run_body(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/reports/{report_id}/run"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "RunRequest" in str(body)
    assert "parameters" in schema["components"]["schemas"]["RunRequest"]["properties"]
    assert "422" in operation["responses"]
