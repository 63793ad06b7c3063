"""Text PostgreSQL cannot store — a lone surrogate, NUL — is a 422 naming where it was, never
a 500, wherever in the request it arrives."""

import json
from typing import Any

import httpx
import pytest

from tests.support.reports import report_body

LONE_SURROGATE = "\ud800"
STRING_FIELDS = {
    "name": "Report {}",
    "description": "About {}",
    "sql_query": "SELECT '{}' AS text",
    "schedule_cron": "0 9 * * *{}",
    "timezone": "Europe/Berlin{}",
    "output_format": "CSV{}",
    "compression": "none{}",
    "notify_on": "ALWAYS{}",
}


def _raw_json(body: dict[str, Any]) -> bytes:
    """JSON text as an attacker writes it: `\\ud800` as an escape, which any JSON parser
    accepts (httpx's own encoder would refuse to send it)."""
    return json.dumps(body, ensure_ascii=True).encode()


async def _send(client: httpx.AsyncClient, method: str, url: str, body: dict[str, Any]) -> Any:
    return await client.request(
        method, url, content=_raw_json(body), headers={"content-type": "application/json"}
    )


def _loc(response: httpx.Response) -> list[Any]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail[0]["type"] == "unencodable_text", detail
    return list(detail[0]["loc"])


@pytest.mark.parametrize("bad", [LONE_SURROGATE, "\udfff", "\x00"])
@pytest.mark.parametrize("field", STRING_FIELDS)
async def test_every_string_field_of_a_new_report_is_checked(
    client: httpx.AsyncClient, field: str, bad: str
) -> None:
    body = report_body(**{field: STRING_FIELDS[field].format(bad)})
    response = await _send(client, "POST", "/api/reports", body)
    assert _loc(response) == ["body", field]


@pytest.mark.parametrize("field", STRING_FIELDS)
async def test_every_string_field_of_an_update_is_checked(
    client: httpx.AsyncClient, field: str
) -> None:
    report = (await client.post("/api/reports", json=report_body())).json()
    body = {field: STRING_FIELDS[field].format(LONE_SURROGATE)}
    response = await _send(client, "PUT", f"/api/reports/{report['id']}", body)
    assert _loc(response) == ["body", field]
    unchanged = await client.get(f"/api/reports/{report['id']}")
    assert unchanged.json()["name"] == report["name"]


async def test_a_recipient_is_named_by_its_position(client: httpx.AsyncClient) -> None:
    body = report_body(recipients=["a@example.com", f"b{LONE_SURROGATE}@example.com"])
    response = await _send(client, "POST", "/api/reports", body)
    assert _loc(response) == ["body", "recipients", 1]


async def test_an_unencodable_key_is_named_printably(client: httpx.AsyncClient) -> None:
    body = {**report_body(), f"x{LONE_SURROGATE}": 1}
    response = await _send(client, "POST", "/api/reports", body)
    assert _loc(response) == ["body", "x\\ud800"]


async def test_raw_utf8_encoded_surrogates_in_the_body_are_refused(
    client: httpx.AsyncClient,
) -> None:
    # Python's JSON decoder lets these bytes through as a lone surrogate ("surrogatepass").
    body = _raw_json(report_body(description="DESCRIPTION")).replace(
        b"DESCRIPTION", "\ud800".encode("utf-8", "surrogatepass")
    )
    response = await client.post(
        "/api/reports", content=body, headers={"content-type": "application/json"}
    )
    assert _loc(response) == ["body", "description"]


async def test_invalid_utf8_in_the_body_is_a_4xx(client: httpx.AsyncClient) -> None:
    body = _raw_json(report_body(description="DESCRIPTION")).replace(b"DESCRIPTION", b"\xff\xfe")
    response = await client.post(
        "/api/reports", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cron=0%209%20*%20*%20*%00&timezone=UTC", "cron"),
        ("cron=0%209%20*%20*%20*&timezone=Europe/Berlin%00", "timezone"),
    ],
)
async def test_a_query_parameter_is_named(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await client.get(f"/api/schedule/preview?{query}")
    assert _loc(response) == ["query", field]


async def test_utf8_encoded_surrogates_in_a_query_never_reach_the_database(
    client: httpx.AsyncClient,
) -> None:
    # Percent-decoding replaces invalid UTF-8 with U+FFFD: an unknown zone, not a crash.
    response = await client.get(
        "/api/schedule/preview?cron=0%209%20*%20*%20*&timezone=Europe%ED%A0%80"
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "timezone"]


async def test_a_path_parameter_is_named(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/reports/%00")
    assert _loc(response) == ["path", "report_id"]


async def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/reports", content=b"\xff\x15>\xfe", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
