"""`only_if_changed` through the API: off by default, saved and shown, a version of its own
that can be restored, and a 422 naming the field for anything but true or false."""

import httpx
import pytest

from tests.support.api import create_report
from tests.support.reports import report_body


async def test_only_if_changed_is_off_by_default_saved_versioned_and_restored(
    client: httpx.AsyncClient,
) -> None:
    report_id = await create_report(client, "SELECT 1 AS one")
    assert (await client.get(f"/api/reports/{report_id}")).json()["only_if_changed"] is False

    changed = await client.put(f"/api/reports/{report_id}", json={"only_if_changed": True})
    versions = (await client.get(f"/api/reports/{report_id}/versions")).json()
    restored = await client.post(f"/api/reports/{report_id}/versions/1/restore")

    assert changed.json()["only_if_changed"] is True
    assert versions[0]["changes"] == {"only_if_changed": {"old": False, "new": True}}
    assert restored.json()["only_if_changed"] is False


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("value", ["maybe", None, [True]])
async def test_anything_but_true_or_false_is_a_422_naming_the_field(
    client: httpx.AsyncClient, method: str, value: object
) -> None:
    if method == "POST":
        response = await client.post("/api/reports", json=report_body(only_if_changed=value))
    else:
        report_id = await create_report(client, "SELECT 1 AS one")
        response = await client.put(f"/api/reports/{report_id}", json={"only_if_changed": value})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "only_if_changed"]
