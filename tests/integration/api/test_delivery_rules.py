"""`empty_result` and `deliver_if` through the API: saved and shown as sent, refused with a 422
naming the field when they say something the notifier cannot apply."""

import httpx
import pytest

from tests.support.reports import report_body

MORE_THAN_TEN = {"metric": "row_count", "op": ">", "value": 10}
FIRST_VALUE = {"metric": "first_value", "op": ">=", "value": 2.5}


async def test_the_delivery_rules_are_saved_and_shown(client: httpx.AsyncClient) -> None:
    body = report_body(empty_result="skip", deliver_if=[MORE_THAN_TEN])
    created = await client.post("/api/reports", json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["empty_result"], created.json()["deliver_if"]) == (
        "skip",
        [MORE_THAN_TEN],
    )
    changed = await client.put(
        f"/api/reports/{created.json()['id']}", json={"empty_result": "fail", "deliver_if": []}
    )
    assert (changed.json()["empty_result"], changed.json()["deliver_if"]) == ("fail", [])


async def test_first_value_conditions_and_inline_rows_are_saved_and_shown(
    client: httpx.AsyncClient,
) -> None:
    conditions = [FIRST_VALUE, {"metric": "first_value", "op": "==", "value": "open"}]
    created = await client.post(
        "/api/reports", json=report_body(deliver_if=conditions, inline_rows=100)
    )
    assert created.status_code == 201, created.text
    assert (created.json()["deliver_if"], created.json()["inline_rows"]) == (conditions, 100)
    changed = await client.put(f"/api/reports/{created.json()['id']}", json={"inline_rows": 0})
    assert changed.json()["inline_rows"] == 0
    null = await client.put(f"/api/reports/{created.json()['id']}", json={"inline_rows": None})
    assert null.status_code == 422
    assert null.json()["detail"][0]["loc"] == ["body", "inline_rows"]


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"empty_result": "ignore"}, ["body", "empty_result"]),
        ({"deliver_if": [{**MORE_THAN_TEN, "op": "~"}]}, ["body", "deliver_if", 0, "op"]),
        (
            {"deliver_if": [{**MORE_THAN_TEN, "metric": "byte_size"}]},
            ["body", "deliver_if", 0, "metric"],
        ),
        ({"deliver_if": [{**MORE_THAN_TEN, "value": -1}]}, ["body", "deliver_if", 0, "value"]),
        ({"deliver_if": [{**MORE_THAN_TEN, "value": 1.5}]}, ["body", "deliver_if", 0, "value"]),
        ({"deliver_if": [{**MORE_THAN_TEN, "value": "10"}]}, ["body", "deliver_if", 0, "value"]),
        ({"deliver_if": [{**FIRST_VALUE, "value": True}]}, ["body", "deliver_if", 0, "value"]),
        ({"deliver_if": [{**FIRST_VALUE, "value": None}]}, ["body", "deliver_if", 0, "value"]),
        (
            {"deliver_if": [{**FIRST_VALUE, "value": "x" * 201}]},
            ["body", "deliver_if", 0, "value"],
        ),
        ({"deliver_if": [{**FIRST_VALUE, "value": [1]}]}, ["body", "deliver_if", 0, "value"]),
        ({"inline_rows": 101}, ["body", "inline_rows"]),
        ({"inline_rows": -1}, ["body", "inline_rows"]),
        ({"deliver_if": [MORE_THAN_TEN] * 11}, ["body", "deliver_if"]),
    ],
)
async def test_a_rule_the_notifier_cannot_apply_is_a_422_naming_it(
    client: httpx.AsyncClient, fields: dict[str, object], loc: list[object]
) -> None:
    response = await client.post("/api/reports", json=report_body(**fields))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
