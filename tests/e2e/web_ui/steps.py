"""What a person does in the web UI, as steps the browser tests share."""

from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.support.accounts import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support.reports import report_body


async def sign_in(page: Page, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    await page.goto("/")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("signed-in-as")).to_have_text(email)


async def open_report(page: Page, report: dict[str, Any]) -> None:
    await page.goto(f"/#/reports/{report['id']}")
    await expect(page.locator("h1.report-title")).to_have_text(report["name"])


async def edit_new_report(page: Page, admin: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """A report created through the API, then its form opened as a person does: signed in as
    the admin, from the report's page, by its `Edit` link."""
    report: dict[str, Any] = (await admin.post("/api/reports", json=report_body(**fields))).json()
    await sign_in(page)
    await open_report(page, report)
    await page.get_by_role("link", name="Edit").click()
    return report


async def fill_new_report(page: Page, **labelled: str) -> None:
    """Signed in: opens the form from the list and fills fields by their labels, in order."""
    await page.get_by_role("link", name="New report").click()
    for label, value in labelled.items():
        await page.get_by_label(label.replace("_", " "), exact=True).fill(value)


async def expect_latest_run_sent(page: Page, item: str) -> None:
    """The notifier mails after the API answered: reload until the newest run's notification
    `item` (a CSS selector of its <li>) shows SENT."""
    sent = page.locator("tr[data-run-id]").first.locator(item)
    for _ in range(30):
        if await sent.locator("[data-status=SENT]").count():
            return
        await page.wait_for_timeout(500)
        await page.reload()
    await expect(sent.locator(".status")).to_have_attribute("data-status", "SENT")
