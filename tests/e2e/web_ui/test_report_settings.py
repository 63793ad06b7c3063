"""The report form's run and delivery settings saved and shown again: retries, overlap,
timeout, retention, an empty result, a row-count or first-value condition, the rows shown in
the mail, only when changed and a write-only webhook."""

from playwright.async_api import Page, expect

from tests.e2e.web_ui.conftest import WebSystem
from tests.e2e.web_ui.steps import edit_new_report, sign_in
from tests.support.reports import report_body

WEBHOOK_URL = "http://127.0.0.1:9/hooks/private-path-ui2"
WEBHOOK_SECRET = "a-secret-of-sixteen-or-more"


async def test_settings_save_and_come_back_with_the_webhook_shown_as_set_and_kept(
    page: Page, web_system: WebSystem
) -> None:
    report = await edit_new_report(page, web_system.admin)
    labelled = {
        "Retries": "2",
        "Retry delay (seconds)": "30",
        "Timeout (seconds)": "120",
        "Keep files for (days)": "7",
        "Condition value": "10",
        "Rows in the mail": "5",
        "Webhook URL": WEBHOOK_URL,
        "Webhook secret": WEBHOOK_SECRET,
    }
    for label, value in labelled.items():
        await page.get_by_label(label, exact=True).fill(value)
    await page.get_by_label("Overlap", exact=True).select_option("queue")
    await page.get_by_label("When empty", exact=True).select_option("skip")
    await page.get_by_label("Condition", exact=True).select_option(">=")
    await page.get_by_label("Only when changed", exact=True).check()
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
    assert stored["only_if_changed"] is True
    assert stored["failure_notice_recipients"] is True
    assert stored["deliver_if"] == [{"metric": "row_count", "op": ">=", "value": 10}]
    assert stored["inline_rows"] == 5
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
    await expect(page.locator(".definition")).to_contain_text("the first 5")
    await expect(page.locator(".definition")).to_contain_text("an unchanged file is not delivered")

    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("Retries", exact=True)).to_have_value("2")
    await expect(page.get_by_label("Overlap", exact=True)).to_have_value("queue")
    await expect(page.get_by_label("Condition value", exact=True)).to_have_value("10")
    await expect(page.get_by_label("Rows in the mail", exact=True)).to_have_value("5")
    await expect(page.get_by_label("Only when changed", exact=True)).to_be_checked()
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
    assert again["only_if_changed"] is True  # the form sends the box as shown
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


async def test_a_first_value_condition_compares_numbers_and_texts_as_typed(
    page: Page, web_system: WebSystem
) -> None:
    report = (await web_system.admin.post("/api/reports", json=report_body())).json()
    await sign_in(page)
    await page.goto(f"/#/reports/{report['id']}/edit")
    await page.get_by_label("Deliver only if", exact=True).select_option("first_value")
    await page.get_by_label("Condition", exact=True).select_option(">")
    await page.get_by_label("Condition value", exact=True).fill("2.5")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator(".definition")).to_contain_text("first value > 2.5")
    stored = (await web_system.admin.get(f"/api/reports/{report['id']}")).json()
    assert stored["deliver_if"] == [{"metric": "first_value", "op": ">", "value": 2.5}]

    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("Deliver only if", exact=True)).to_have_value("first_value")
    await page.get_by_label("Condition", exact=True).select_option("==")
    await page.get_by_label("Condition value", exact=True).fill("<open>")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator(".definition")).to_contain_text('first value == "<open>"')
    again = (await web_system.admin.get(f"/api/reports/{report['id']}")).json()
    assert again["deliver_if"] == [{"metric": "first_value", "op": "==", "value": "<open>"}]
