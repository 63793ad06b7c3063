"""The report form's message templates: previewed before saving (a bad one named under its
field), saved, and shown again when the form is opened."""

from playwright.async_api import Page, expect

from tests.e2e.web_ui.conftest import WebSystem
from tests.e2e.web_ui.steps import edit_new_report


async def test_templates_are_previewed_before_saving_and_saved(
    page: Page, web_system: WebSystem
) -> None:
    report = await edit_new_report(page, web_system.admin)

    await page.get_by_label("Subject template", exact=True).fill("{{ report_name")
    await page.get_by_role("button", name="Preview message").click()
    await expect(page.locator("#subject_template-error")).to_be_visible()

    await page.get_by_label("Subject template", exact=True).fill("Rows: {{ rows }}")
    await page.get_by_label("Body template", exact=True).fill("<b>{{ status }}</b>")
    await page.get_by_label("File name template", exact=True).fill("sales_{{ rows }}")
    await page.get_by_role("button", name="Preview message").click()
    await expect(page.get_by_test_id("preview-subject")).to_have_text("Rows: 1234")
    await expect(page.get_by_test_id("preview-body")).to_have_text("<b>SUCCESS</b>")
    await expect(page.get_by_test_id("preview-file-name")).to_have_text("sales_1234.csv")
    await expect(page.locator("#subject_template-error")).to_be_hidden()

    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("h1.report-title")).to_have_text(report["name"])
    stored = (await web_system.admin.get(f"/api/reports/{report['id']}")).json()
    assert stored["subject_template"] == "Rows: {{ rows }}"
    assert stored["body_template"] == "<b>{{ status }}</b>"
    assert stored["file_name_template"] == "sales_{{ rows }}"
    await expect(page.locator(".definition")).to_contain_text("sales_{{ rows }}")

    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("Subject template", exact=True)).to_have_value(
        "Rows: {{ rows }}"
    )
