"""Every change of a report is a numbered version in the audit log, and a version can be
restored (as a new version)."""

import httpx

from tests.support.accounts import ADMIN_EMAIL
from tests.support.api import create_report


async def test_each_change_is_a_numbered_version_with_old_and_new_values(
    client: httpx.AsyncClient,
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    await client.put(f"/api/reports/{report_id}", json={"sql_query": "SELECT 2 AS two"})
    await client.put(f"/api/reports/{report_id}", json={"description": "second"})
    await client.put(f"/api/reports/{report_id}", json={"description": "second"})  # no change

    versions = (await client.get(f"/api/reports/{report_id}/versions")).json()

    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [v["action"] for v in versions] == ["report.changed", "report.changed", "report.created"]
    assert versions[1]["changes"] == {
        "sql_query": {"old": "SELECT 1 AS one", "new": "SELECT 2 AS two"}
    }
    assert versions[2]["changes"]["sql_query"] == {"old": None, "new": "SELECT 1 AS one"}
    assert {v["actor_email"] for v in versions} == {ADMIN_EMAIL}


async def test_the_versions_are_entries_of_the_one_audit_log(client: httpx.AsyncClient) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    await client.put(f"/api/reports/{report_id}", json={"is_active": False})
    entries = (await client.get("/api/audit", params={"limit": 500})).json()
    mine = [entry for entry in entries if entry["subject_id"] == report_id]
    assert [(entry["action"], entry["version"]) for entry in mine] == [
        ("report.changed", 2),
        ("report.created", 1),
    ]


async def test_restoring_a_version_brings_back_its_sql_as_a_new_version(
    client: httpx.AsyncClient,
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one", schedule_cron="0 8 * * *")
    await client.put(f"/api/reports/{report_id}", json={"sql_query": "SELECT 2 AS two"})
    await client.put(f"/api/reports/{report_id}", json={"schedule_cron": None})

    restored = await client.post(f"/api/reports/{report_id}/versions/1/restore")
    versions = (await client.get(f"/api/reports/{report_id}/versions")).json()

    assert restored.status_code == 200, restored.text
    assert restored.json()["sql_query"] == "SELECT 1 AS one"
    assert restored.json()["schedule_cron"] == "0 8 * * *"
    assert versions[0]["version"] == 4
    assert versions[0]["action"] == "report.restored"
    assert versions[0]["restored_version"] == 1
    assert versions[0]["changes"] == {
        "sql_query": {"old": "SELECT 2 AS two", "new": "SELECT 1 AS one"},
        "schedule_cron": {"old": None, "new": "0 8 * * *"},
    }


async def test_restoring_a_middle_version_undoes_only_the_later_changes(
    client: httpx.AsyncClient,
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    await client.put(f"/api/reports/{report_id}", json={"description": "kept"})
    await client.put(f"/api/reports/{report_id}", json={"sql_query": "SELECT 3 AS three"})

    restored = (await client.post(f"/api/reports/{report_id}/versions/2/restore")).json()

    assert (restored["description"], restored["sql_query"]) == ("kept", "SELECT 1 AS one")


async def test_an_unknown_version_is_a_404_naming_it(client: httpx.AsyncClient) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    missing = await client.post(f"/api/reports/{report_id}/versions/7/restore")
    zero = await client.post(f"/api/reports/{report_id}/versions/0/restore")
    assert missing.status_code == 404
    assert "version 7 of report" in missing.json()["detail"]
    assert zero.status_code == 422
