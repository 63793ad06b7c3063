"""The report form's run and delivery settings saved and shown again: retries, overlap,
timeout, retention, an empty result, a row-count condition and a write-only webhook."""

from playwright.async_api import Page, expect

from tests.e2e.web_ui.conftest import WebSystem
from tests.e2e.web_ui.steps import open_report, sign_in
from tests.support.reports import report_body

WEBHOOK_URL = "http://127.0.0.1:9/hooks/private-path-ui2"
WEBHOOK_SECRET = "a-secret-of-sixteen-or-more"


async def test_settings_save_and_come_back_with_the_webhook_shown_as_set_and_kept(
    page: Page, web_system: WebSystem
) -> None:
    report = (await web_system.admin.post("/api/reports", json=report_body())).json()
    await sign_in(page)
    await open_report(page, report)
    await page.get_by_role("link", name="Edit").click()
    labelled = {
        "Retries": "2",
        "Retry delay (seconds)": "30",
        "Timeout (seconds)": "120",
        "Keep files for (days)": "7",
        "Row count value": "10",
        "Webhook URL": WEBHOOK_URL,
        "Webhook secret": WEBHOOK_SECRET,
    }
    for label, value in labelled.items():
        await page.get_by_label(label, exact=True).fill(value)
    await page.get_by_label("Overlap", exact=True).select_option("queue")
    await page.get_by_label("When empty", exact=True).select_option("skip")
    await page.get_by_label("Deliver only if row count", exact=True).select_option(">=")
    await page.get_by_label("Tell the recipients too").check()
    assert await page.get_by_label("Webhook secret", exact=True).get_attribute("type") == (
        "password"
    )
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("h1.report-title")).to_have_text(report["name"])

    stored = (await web_system.admin.get(f"/api/reports/{report['id']}")).json()
    assert stored["max_retries"] == 2
    assert stored["retry_delay_seconds"] == 30
    assert stored["timeout_seconds"] == 120
    assert stored["retention_days"] == 7
    assert stored["overlap"] == "queue"
    assert stored["empty_result"] == "skip"
    assert stored["failure_notice_recipients"] is True
    assert stored["deliver_if"] == [{"metric": "row_count", "op": ">=", "value": 10}]
    assert stored["channels"] == [
        {
            "type": "webhook",
            "label": "127.0.0.1",
            "url": "set",
            "secret": "set",
            "webhook_url": None,
            "token": None,
        }
    ]
    await expect(page.locator(".definition")).to_contain_text("row count >= 10")

    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("Retries", exact=True)).to_have_value("2")
    await expect(page.get_by_label("Overlap", exact=True)).to_have_value("queue")
    await expect(page.get_by_label("Row count value", exact=True)).to_have_value("10")
    await expect(page.get_by_label("Tell the recipients too")).to_be_checked()
    await expect(page.get_by_test_id("stored-channels")).to_contain_text("127.0.0.1 · url set")
    await expect(page.get_by_label("New webhook URL", exact=True)).to_have_value("")
    page_text = await page.content()
    assert WEBHOOK_SECRET not in page_text
    assert "private-path-ui2" not in page_text
    await page.get_by_label("Retries", exact=True).fill("")
    await page.get_by_label("Timeout (seconds)", exact=True).fill("")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("h1.report-title")).to_have_text(report["name"])

    again = (await web_system.admin.get(f"/api/reports/{report['id']}")).json()
    assert again["max_retries"] == 0
    assert again["timeout_seconds"] is None
    assert again["channels"] == stored["channels"]  # untouched: not sent again


async def test_a_refused_setting_is_shown_next_to_its_field(
    page: Page, web_system: WebSystem
) -> None:
    report = (await web_system.admin.post("/api/reports", json=report_body())).json()
    await sign_in(page)
    await page.goto(f"/#/reports/{report['id']}/edit")
    await page.get_by_label("Webhook URL", exact=True).fill(WEBHOOK_URL)
    await page.get_by_label("Webhook secret", exact=True).fill("short")
    await page.get_by_label("Keep files for (days)", exact=True).fill("0")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#retention_days-error")).to_be_visible()
    await expect(page.locator("#channels-error")).to_contain_text("16")
