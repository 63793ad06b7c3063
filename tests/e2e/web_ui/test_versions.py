"""A report's history of changes in the web UI: each version listed, and Restore (after a
confirmation) bringing an old definition back as a new version."""

from playwright.async_api import Page, expect

from tests.e2e.web_ui.conftest import WebSystem
from tests.e2e.web_ui.steps import edit_new_report, open_report, sign_in
from tests.support.accounts import create_account
from tests.support.reports import report_body

FIRST_SQL = "SELECT 1 AS one"
EDITED_SQL = "SELECT 2 AS two"


async def test_restoring_version_one_brings_the_old_sql_back(
    page: Page, web_system: WebSystem
) -> None:
    report = await edit_new_report(page, web_system.admin, sql_query=FIRST_SQL)
    await page.get_by_label("SQL query", exact=True).fill(EDITED_SQL)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_test_id("sql-query")).to_have_text(EDITED_SQL)
    versions = page.locator("#versions li.version")
    await expect(versions).to_have_count(2)
    await expect(versions.first).to_contain_text("Version 2")
    await versions.first.locator("summary").click()
    await expect(versions.first).to_contain_text(FIRST_SQL)  # the old value, beside the new

    await page.get_by_role("button", name="Restore version 1").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("version 1")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(versions).to_have_count(2)

    await page.get_by_role("button", name="Restore version 1").click()
    await page.get_by_role("dialog").get_by_role("button", name="Restore").click()
    await expect(versions).to_have_count(3)
    await expect(versions.first).to_contain_text("Restored from version 1")
    await expect(page.get_by_test_id("sql-query")).to_have_text(FIRST_SQL)
    stored = (await web_system.admin.get(f"/api/reports/{report['id']}")).json()
    assert stored["sql_query"] == FIRST_SQL


async def test_a_viewer_sees_the_history_without_restore_buttons(
    page: Page, web_system: WebSystem
) -> None:
    viewer = await create_account(web_system.admin, "viewer")
    report = (await web_system.admin.post("/api/reports", json=report_body())).json()
    await web_system.admin.put(f"/api/reports/{report['id']}", json={"sql_query": EDITED_SQL})
    await sign_in(page, viewer.email, viewer.password)
    await open_report(page, report)
    await expect(page.locator("#versions li.version")).to_have_count(2)
    await expect(page.get_by_role("button", name="Restore version 1")).to_have_count(0)
