"""Run control in the web UI: a running run is followed live and cancelled with its button,
and a successful run's file is sent again with Resend."""

from playwright.async_api import Page, expect

from tests.e2e.web_ui.conftest import WebSystem
from tests.e2e.web_ui.steps import expect_latest_run_sent, open_report, sign_in
from tests.support.reports import report_body

RUN_TIMEOUT_MS = 60_000
CANCEL_TIMEOUT_MS = 10_000


async def test_a_running_run_shows_its_progress_and_cancel_ends_it_cancelled(
    page: Page, web_system: WebSystem
) -> None:
    body = report_body(sql_query="SELECT pg_sleep(30) AS slept")
    report = (await web_system.admin.post("/api/reports", json=body)).json()
    await sign_in(page)
    await open_report(page, report)
    await page.get_by_role("button", name="Run now").click()
    live = page.locator("#live-run")
    await expect(live.locator(".status")).to_have_attribute(
        "data-status", "RUNNING", timeout=RUN_TIMEOUT_MS
    )
    await expect(page.get_by_test_id("run-progress")).to_contain_text("elapsed")

    await live.get_by_role("button", name="Cancel").click()
    await expect(live.locator(".status")).to_have_attribute(
        "data-status", "CANCELLED", timeout=CANCEL_TIMEOUT_MS
    )
    await expect(live.locator(".status")).to_have_text("Cancelled")
    row = page.locator("tr[data-run-id]").first
    await expect(row).to_have_attribute("data-status", "CANCELLED")
    await expect(row.get_by_role("button", name="Cancel")).to_have_count(0)
    run_id = await row.get_attribute("data-run-id")
    stored = (await web_system.admin.get(f"/api/runs/{run_id}")).json()
    assert stored["status"] == "CANCELLED"

    await row.locator("details.attempts summary").click()
    await expect(row.locator("details.attempts li")).to_have_count(len(stored["attempts"]))


async def test_resend_delivers_a_successful_runs_file_again_as_new_notification_rows(
    page: Page, web_system: WebSystem
) -> None:
    body = report_body(recipients=["resend@example.com"])
    report = (await web_system.admin.post("/api/reports", json=body)).json()
    await sign_in(page)
    await open_report(page, report)
    await page.get_by_role("button", name="Run now").click()
    row = page.locator("tr[data-run-id]").first
    await expect(row).to_have_attribute("data-status", "SUCCESS", timeout=RUN_TIMEOUT_MS)
    await expect_latest_run_sent(page, "li:not([data-resend])")

    await row.get_by_role("button", name="Resend").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("again")
    await dialog.get_by_role("button", name="Resend").click()
    await expect_latest_run_sent(page, "li[data-resend]")
    resent = page.locator("tr[data-run-id]").first.locator("li[data-resend]")
    await expect(resent).to_contain_text("resend@example.com (resent)")
    run_id = await row.get_attribute("data-run-id")
    rows = (await web_system.admin.get(f"/api/runs/{run_id}/notifications")).json()
    assert [item["recipient"] for item in rows if item["resend_id"]] == ["resend@example.com"]
