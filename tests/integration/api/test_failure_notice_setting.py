"""A report's failure_notice_recipients: off by default, set and changed like its other fields,
recorded in its versions, and refused (422 naming it) when it is not a boolean."""

import httpx

from tests.support.reports import report_body


async def test_failure_notices_go_to_the_owner_only_unless_the_report_asks(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/api/reports", json=report_body())
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["failure_notice_recipients"] is False

    changed = await client.put(
        f"/api/reports/{report['id']}", json={"failure_notice_recipients": True}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["failure_notice_recipients"] is True
    versions = (await client.get(f"/api/reports/{report['id']}/versions")).json()
    assert "failure_notice_recipients" in str(versions)


async def test_a_failure_notice_setting_that_is_not_a_boolean_is_a_422_naming_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/reports", json=report_body(failure_notice_recipients="perhaps")
    )
    assert response.status_code == 422
    assert "failure_notice_recipients" in response.text
