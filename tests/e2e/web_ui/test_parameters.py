"""Report parameters in the web UI: declared in the form, asked for by Run now (a wrong value
is shown next to its input), and the values a run used shown in its history."""

import csv
import io

from playwright.async_api import Page, expect

from tests.e2e.web_ui.conftest import WebSystem
from tests.e2e.web_ui.steps import fill_new_report, sign_in
from tests.support.reports import unique_name

RUN_TIMEOUT_MS = 60_000
SERIES_SQL = "SELECT g AS n FROM generate_series(1, {{ n }}) AS g ORDER BY g"


async def test_a_parameter_declared_in_the_form_is_asked_for_by_run_now(
    page: Page, web_system: WebSystem
) -> None:
    name = unique_name("Parameters")
    await sign_in(page)
    await fill_new_report(page, Name=name, SQL_query=SERIES_SQL)
    await page.get_by_role("button", name="Add parameter").click()
    declaration = page.locator("fieldset.parameter").first
    await declaration.get_by_label("Parameter name", exact=True).fill("n")
    await declaration.get_by_label("Type", exact=True).select_option("integer")
    await declaration.get_by_label("Default", exact=True).fill("3")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("h1.report-title")).to_have_text(name)
    report_id = page.url.rsplit("/", 1)[-1]
    stored = (await web_system.admin.get(f"/api/reports/{report_id}")).json()
    assert stored["parameters"] == [{"name": "n", "type": "integer", "default": 3}]

    await page.get_by_role("button", name="Run now").click()
    dialog = page.get_by_role("dialog")
    value = dialog.get_by_label("n", exact=True)
    await expect(value).to_have_value("3")
    await value.fill("five")
    await dialog.get_by_role("button", name="Run").click()
    await expect(dialog.locator("#run-parameter-0-error")).to_be_visible()
    await expect(value).to_have_attribute("aria-invalid", "true")
    await value.fill("5")
    await dialog.get_by_role("button", name="Run").click()
    await expect(dialog).to_have_count(0)

    row = page.locator("tr[data-run-id]").first
    await expect(row).to_have_attribute("data-status", "SUCCESS", timeout=RUN_TIMEOUT_MS)
    await expect(page.get_by_test_id("run-parameters").first).to_contain_text("n = 5")
    run_id = await row.get_attribute("data-run-id")
    run = (await web_system.admin.get(f"/api/runs/{run_id}")).json()
    assert run["requested_parameters"] == {"n": 5}
    data = (await web_system.admin.get(f"/api/runs/{run_id}/download")).text
    lines = list(csv.reader(io.StringIO(data)))
    assert lines == [["n"], ["1"], ["2"], ["3"], ["4"], ["5"]]
