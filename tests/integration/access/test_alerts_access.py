"""GET /api/alerts: admins read every alert; other accounts the alerts of reports (which every
account may read) and never the system's; `open` filters, the page size is bounded."""

import json
import uuid

import asyncpg
import httpx
import pytest

from tests.integration.access.conftest import Cast
from tests.support.reports import report_body


async def _alert(
    db: asyncpg.Connection, kind: str, report_id: str | None, resolved: bool = False
) -> str:
    return str(
        await db.fetchval(
            "INSERT INTO alerts (id, kind, report_id, target, details, resolved_at) "
            "VALUES ($1, $2, $3::uuid, NULL, $4::jsonb, "
            "CASE WHEN $5 THEN now() END) RETURNING id",
            uuid.uuid4(),
            kind,
            report_id,
            json.dumps({"reason": "a test"}),
            resolved,
        )
    )


@pytest.fixture
async def alerts(anonymous: httpx.AsyncClient, cast: Cast, database_url: str) -> dict[str, str]:
    """The editor's report failing (open), its earlier resolved alert, and a system alert."""
    response = await anonymous.post("/api/reports", json=report_body(), headers=cast.editor.headers)
    assert response.status_code == 201, response.text
    report_id = response.json()["id"]
    db = await asyncpg.connect(database_url)
    try:
        await db.execute("DELETE FROM alerts")
        return {
            "report_id": report_id,
            "failing": await _alert(db, "run_failing", report_id),
            "resolved": await _alert(db, "run_failing", report_id, resolved=True),
            "system": await _alert(db, "scheduler_down", None),
        }
    finally:
        await db.close()


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> set[str]:
    response = await client.get("/api/alerts", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert int(response.headers["X-Total-Count"]) == len(response.json())
    return {alert["id"] for alert in response.json()}


async def test_an_admin_reads_every_alert(
    client: httpx.AsyncClient, alerts: dict[str, str]
) -> None:
    assert await _ids(client, {}) == {alerts["failing"], alerts["resolved"], alerts["system"]}
    assert await _ids(client, {}, open="true") == {alerts["failing"], alerts["system"]}
    assert await _ids(client, {}, open="false") == {alerts["resolved"]}


async def test_the_owner_and_other_accounts_read_report_alerts_but_not_the_systems(
    anonymous: httpx.AsyncClient, cast: Cast, alerts: dict[str, str]
) -> None:
    for account in (cast.editor, cast.viewer):
        assert await _ids(anonymous, account.headers) == {alerts["failing"], alerts["resolved"]}
        assert await _ids(anonymous, account.headers, open="true") == {alerts["failing"]}
        assert await _ids(anonymous, account.headers, kind="scheduler_down") == set()


async def test_an_alert_says_what_and_since_when_without_its_notice_ledger(
    client: httpx.AsyncClient, alerts: dict[str, str]
) -> None:
    response = await client.get("/api/alerts", params={"report_id": alerts["report_id"]})
    failing = next(alert for alert in response.json() if alert["id"] == alerts["failing"])
    assert failing["kind"] == "run_failing"
    assert failing["report_id"] == alerts["report_id"]
    assert failing["resolved_at"] is None
    assert failing["details"] == {"reason": "a test"}
    assert {"since", "last_seen", "notice_sent_at"} <= failing.keys()
    assert "notice_error" not in failing


async def test_signed_out_callers_are_refused(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/api/alerts")).status_code == 401


@pytest.mark.parametrize(
    ("name", "value"), [("limit", "0"), ("limit", "201"), ("offset", "-1"), ("open", "maybe")]
)
async def test_an_out_of_range_query_is_a_422_naming_it(
    client: httpx.AsyncClient, name: str, value: str
) -> None:
    response = await client.get("/api/alerts", params={name: value})
    assert response.status_code == 422
    assert name in response.text
