"""The web UI in Debian's Chromium against the running system: sign in, the report form, a run
watched to its end, its file, pausing and deleting, safe rendering, and what a viewer may do."""

import re
import uuid

from playwright.async_api import Page, expect

from tests.e2e.web_ui.conftest import WebSystem
from tests.e2e.web_ui.steps import expect_latest_run_sent, fill_new_report, open_report, sign_in
from tests.support.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, create_account
from tests.support.browser import PHONE, screenshot
from tests.support.reports import report_body, unique_name

RUN_TIMEOUT_MS = 60_000
AWKWARD_QUERY = "SELECT * FROM awkward_values ORDER BY id"
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_DESCRIPTION = "<script>alert(2)</script> & <b>bold</b>"


async def test_sign_in_shows_email_and_role_and_sign_out_returns_to_the_form(page: Page) -> None:
    await page.goto("/")
    await screenshot(page, "sign-in")
    await sign_in(page)
    await expect(page.get_by_test_id("role")).to_have_text("admin")
    await expect(page.get_by_role("link", name="Audit log")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()


async def test_wrong_password_is_refused_with_a_message(page: Page) -> None:
    await page.goto("/")
    await page.get_by_label("Email", exact=True).fill(ADMIN_EMAIL)
    await page.get_by_label("Password", exact=True).fill("not the password at all")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("wrong")


async def test_form_describes_the_schedule_and_shows_the_sql_error_before_saving(
    page: Page, web_system: WebSystem
) -> None:
    name = unique_name("Form check")
    await sign_in(page)
    await fill_new_report(page, Name=name, SQL_query="SELECT id FROM no_such_table")
    sql_error = page.locator("#sql_query-error")
    await expect(sql_error).to_contain_text('relation "no_such_table" does not exist')
    await page.get_by_label("Schedule", exact=True).fill("0 8 * * 1")
    await page.get_by_label("Time zone", exact=True).fill("Europe/Berlin")
    description = page.get_by_test_id("schedule-description")
    await expect(description).to_contain_text("Monday")
    await expect(description).to_contain_text("Europe/Berlin")
    await expect(page.locator(".next-runs li")).to_have_count(5)
    await page.get_by_label("Schedule", exact=True).fill("61 * * * *")
    await expect(page.locator("#schedule_cron-error")).to_be_visible()
    await page.get_by_label("Schedule", exact=True).fill("0 8 * * 1")
    await page.get_by_label("SQL query", exact=True).fill("SELECT 1 AS one")
    await expect(page.get_by_test_id("sql-ok")).to_be_visible()
    await expect(sql_error).to_be_hidden()
    await screenshot(page, "report-form")

    names = [report["name"] for report in (await web_system.admin.get("/api/reports")).json()]
    assert name not in names  # checked, never saved


async def test_report_created_in_the_form_runs_to_success_and_downloads_the_apis_file(
    page: Page, web_system: WebSystem
) -> None:
    name = unique_name("Browser report")
    await sign_in(page)
    await fill_new_report(
        page,
        Name=name,
        Description="Every awkward value, for the browser test",
        SQL_query=AWKWARD_QUERY,
        Schedule="30 6 * * *",
        Time_zone="America/New_York",
    )
    await expect(page.get_by_test_id("schedule-description")).to_contain_text("06:30")
    await page.get_by_label("Recipients", exact=True).fill("ana@example.com")
    await page.get_by_label("Format", exact=True).select_option("CSV")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("h1.report-title")).to_have_text(name)

    await page.get_by_role("button", name="Run now").click()
    live = page.locator("#live-run .status")
    await expect(live).to_have_attribute("data-status", "SUCCESS", timeout=RUN_TIMEOUT_MS)
    first_row = page.locator("tr[data-run-id]").first
    await expect(first_row).to_have_attribute("data-status", "SUCCESS")
    await expect(first_row).to_contain_text("7")  # rows
    run_id = await first_row.get_attribute("data-run-id")

    async with page.expect_download() as download_info:
        await first_row.get_by_role("link", name="Download").click()
    download = await download_info.value
    from_browser = (await download.path()).read_bytes()
    from_api = await web_system.admin.get(f"/api/runs/{run_id}/download")
    assert from_api.status_code == 200
    assert from_browser == from_api.content
    assert download.suggested_filename.endswith(".csv")

    await expect_latest_run_sent(page, "li:has-text('ana@example.com')")
    await screenshot(page, "report-page")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    row = page.locator("tr", has_text=name)
    await expect(row.locator(".status")).to_have_attribute("data-status", "SUCCESS")
    await expect(row).to_contain_text("America/New_York")
    await screenshot(page, "reports-list")


async def test_failed_run_shows_postgresqls_message(page: Page, web_system: WebSystem) -> None:
    body = report_body(sql_query="SELECT 1 / (id - id) AS boom FROM awkward_values")
    report = (await web_system.admin.post("/api/reports", json=body)).json()
    await sign_in(page)
    await open_report(page, report)
    await page.get_by_role("button", name="Run now").click()
    await expect(page.locator("#live-run .status")).to_have_attribute(
        "data-status", "FAILED", timeout=RUN_TIMEOUT_MS
    )
    await expect(page.locator("#live-run .run-error")).to_have_text("division by zero")
    await expect(page.locator("tr.details .run-error")).to_have_text("division by zero")


async def test_report_is_disabled_then_deleted_after_confirmation(
    page: Page, web_system: WebSystem
) -> None:
    body = report_body(schedule_cron="0 9 * * *")
    report = (await web_system.admin.post("/api/reports", json=body)).json()
    await sign_in(page)
    await open_report(page, report)
    await page.get_by_role("button", name="Disable").click()
    await expect(page.get_by_test_id("active-state")).to_have_text("paused")
    stored = (await web_system.admin.get(f"/api/reports/{report['id']}")).json()
    assert stored["is_active"] is False

    await page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text(report["name"])
    await dialog.get_by_role("button", name="Cancel").click()
    assert (await web_system.admin.get(f"/api/reports/{report['id']}")).status_code == 200

    await page.get_by_role("button", name="Delete").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    await expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    assert (await web_system.admin.get(f"/api/reports/{report['id']}")).status_code == 404


async def test_markup_in_a_report_renders_as_text(page: Page, web_system: WebSystem) -> None:
    name = f"{XSS_NAME} {uuid.uuid4().hex[:6]}"
    body = report_body(name=name, description=XSS_DESCRIPTION)
    report = (await web_system.admin.post("/api/reports", json=body)).json()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await sign_in(page)
    await expect(page.get_by_role("link", name=name)).to_be_visible()
    await open_report(page, report)
    await expect(page.locator("p.description")).to_have_text(XSS_DESCRIPTION)
    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("Name", exact=True)).to_have_value(name)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit {name}")
    await page.wait_for_timeout(500)  # an injected handler would have fired by now

    assert dialogs == []
    assert await page.locator("main img, main script, main b").count() == 0


async def test_viewer_sees_no_edit_controls_and_the_api_refuses_their_post(
    page: Page, web_system: WebSystem
) -> None:
    viewer = await create_account(web_system.admin, "viewer")
    report = (await web_system.admin.post("/api/reports", json=report_body())).json()
    await sign_in(page, viewer.email, viewer.password)
    await expect(page.get_by_test_id("role")).to_have_text("viewer")
    await expect(page.get_by_role("link", name=report["name"])).to_be_visible()
    await expect(page.get_by_role("link", name="New report")).to_have_count(0)
    await expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    await open_report(page, report)
    for control in ("Run now", "Disable", "Delete"):
        await expect(page.get_by_role("button", name=control)).to_have_count(0)
    await expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    answer = await page.evaluate(
        """async (body) => {
            const response = await fetch("api/reports", {
                method: "POST",
                headers: {"Content-Type": "application/json",
                          "X-CSRF-Token": localStorage.getItem("reportflow.csrf")},
                body: JSON.stringify(body),
            });
            return {status: response.status, body: await response.json()};
        }""",
        report_body(),
    )
    assert answer["status"] == 403
    assert "viewer" in answer["body"]["detail"]


async def test_tokens_page_shows_a_new_token_once_and_revokes_it(
    page: Page, web_system: WebSystem
) -> None:
    token_name = unique_name("browser token")
    await sign_in(page)
    await page.get_by_role("link", name="API tokens").click()
    await page.get_by_label("Token name", exact=True).fill(token_name)
    await page.get_by_role("button", name="Create token").click()
    secret = await page.locator("#new-token").input_value()
    assert secret.startswith("rfk_")
    me = await web_system.admin.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    await screenshot(page, "tokens")

    await page.reload()
    await expect(page.locator("#new-token")).to_have_count(0)  # shown once
    await page.get_by_role("button", name=f"Revoke {token_name}").click()
    await page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    await expect(page.get_by_role("cell", name=token_name)).to_have_count(0)
    refused = await web_system.admin.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401


async def test_audit_page_lists_what_admins_did(page: Page, web_system: WebSystem) -> None:
    report = (await web_system.admin.post("/api/reports", json=report_body())).json()
    await sign_in(page)
    await page.get_by_role("link", name="Audit log").click()
    entry = page.locator("tr", has_text=report["id"]).first
    await expect(entry).to_contain_text("report.created")
    await expect(entry).to_contain_text(ADMIN_EMAIL)
    await screenshot(page, "audit")
    await entry.get_by_role("link", name=report["id"]).click()
    await expect(page.locator("h1.report-title")).to_have_text(report["name"])


async def test_alerts_page_lists_open_alerts_with_links_to_their_reports(
    page: Page, web_system: WebSystem
) -> None:
    report = (await web_system.admin.post("/api/reports", json=report_body())).json()
    await web_system.scenario.db.execute(
        "INSERT INTO alerts (id, kind, report_id, details) VALUES "
        "(gen_random_uuid(), 'run_failing', $1::uuid, '{\"reason\": \"<b>boom</b>\"}')",
        report["id"],
    )
    await sign_in(page)
    await page.get_by_role("link", name="Alerts").click()
    entry = page.locator("tr", has_text=report["id"]).first
    await expect(entry).to_contain_text("run_failing")
    await expect(entry).to_contain_text("<b>boom</b>")  # as text, never markup
    await expect(entry).to_contain_text("open")
    await screenshot(page, "alerts")
    await entry.get_by_role("link", name=report["id"]).click()
    await expect(page.locator("h1.report-title")).to_have_text(report["name"])


async def assert_fits_the_width(page: Page) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow} px wider than the window"


async def test_reports_list_filters_and_pages_fit_a_phone(
    page: Page, web_system: WebSystem
) -> None:
    marker = uuid.uuid4().hex[:8]
    body = report_body(name=f"Phone {marker}", sql_query="SELECT 1 AS one")
    report = (await web_system.admin.post("/api/reports", json=body)).json()
    await sign_in(page)
    await screenshot(page, "reports-list-all")  # every report the tests above left
    await page.get_by_label("Filter", exact=True).fill(marker)
    await expect(page.locator("tr[data-report-id]")).to_have_count(1)
    await page.get_by_label("Last run status", exact=True).select_option("NEVER")
    await expect(page.locator("tr[data-report-id]")).to_have_count(1)
    await page.get_by_label("Last run status", exact=True).select_option("SUCCESS")
    await expect(page.get_by_text("No report matches this filter.")).to_be_visible()

    await page.set_viewport_size(PHONE)
    await page.get_by_label("Last run status", exact=True).select_option("")
    await page.get_by_label("Filter", exact=True).fill("")
    await assert_fits_the_width(page)
    await screenshot(page, "reports-list-phone")
    await open_report(page, report)
    await page.get_by_role("button", name="Run now").click()
    await expect(page.locator("tr[data-run-id]")).to_have_count(1)
    await assert_fits_the_width(page)
    await screenshot(page, "report-page-phone")
    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("SQL query", exact=True)).to_have_value("SELECT 1 AS one")
    await assert_fits_the_width(page)


async def test_keyboard_alone_signs_in_and_reaches_a_report(
    page: Page, web_system: WebSystem
) -> None:
    report = (await web_system.admin.post("/api/reports", json=report_body())).json()
    await page.goto("/")
    await page.get_by_label("Email", exact=True).focus()
    await page.keyboard.type(ADMIN_EMAIL)
    await page.keyboard.press("Tab")
    await page.keyboard.type(ADMIN_PASSWORD)
    await page.keyboard.press("Enter")
    link = page.get_by_role("link", name=report["name"])
    await link.focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(f"#/reports/{report['id']}$"))


async def test_an_editor_edits_own_reports_only(page: Page, web_system: WebSystem) -> None:
    editor = await create_account(web_system.admin, "editor")
    others = (await web_system.admin.post("/api/reports", json=report_body())).json()
    own = (
        await web_system.admin.post("/api/reports", json=report_body(), headers=editor.headers)
    ).json()
    await sign_in(page, editor.email, editor.password)
    await expect(page.get_by_role("link", name="New report")).to_be_visible()
    await open_report(page, others)
    await expect(page.get_by_role("button", name="Run now")).to_have_count(0)
    await page.goto(f"/#/reports/{others['id']}/edit")
    await expect(page.get_by_role("alert")).to_contain_text("owner or an admin")
    await open_report(page, own)
    await expect(page.get_by_role("button", name="Run now")).to_be_visible()
    await expect(page.get_by_role("link", name="Edit")).to_be_visible()


async def test_statuses_and_run_fields_this_page_does_not_know_render_sensibly(
    page: Page,
) -> None:
    await page.goto("/")
    rendered = await page.evaluate(
        """async () => {
            const load = (path) => import(new URL(`static/ui/${path}`, location.href).href);
            const { statusBadge, isActive } = await load("statuses.js");
            const { runActions, runSummary } = await load("runs.js");
            const actionWords = (run) => runActions(run, true).map((node) => node.textContent);
            const badge = (status) => {
                const node = statusBadge(status);
                return [node.textContent, node.className];
            };
            return {
                cancelled: badge("CANCELLED"),
                skipped: badge("SKIPPED"),
                unknown: badge("PAUSED_FOR_LUNCH"),
                none: badge(null),
                unknownIsActive: isActive("PAUSED_FOR_LUNCH"),
                runningRows: runSummary({status: "RUNNING", rows_exported: 1200}),
                finishedNewFields: runSummary({
                    status: "SUCCESS", rows_exported: 5, bytes_written: 2048,
                    started_at: "2026-01-01T00:00:00Z", finished_at: "2026-01-01T00:00:02.5Z",
                }),
                bare: runSummary({status: "CANCELLED"}),
                running: runSummary(
                    {status: "RUNNING", rows_exported: 10, bytes_written: 1500,
                     started_at: "2026-01-01T00:00:00Z"},
                    Date.parse("2026-01-01T00:00:03Z"),
                ),
                expiredActions: actionWords({
                    id: "x", status: "SUCCESS", output_path: "f.csv",
                    expired_at: "2026-01-02T00:00:00Z", download_url: null,
                }),
                keptActions: actionWords({
                    id: "x", status: "SUCCESS", output_path: "f.csv", expired_at: null,
                    download_url: "/api/runs/x/download",
                }),
                runningActions: actionWords({id: "x", status: "RUNNING"}),
            };
        }"""
    )
    assert rendered["cancelled"] == ["Cancelled", "status status-cancelled"]
    assert rendered["skipped"] == ["Skipped", "status status-skipped"]
    assert rendered["unknown"] == ["Paused for lunch", "status status-other"]
    assert rendered["none"] == ["Never run", "status status-none"]
    assert rendered["unknownIsActive"] is False  # an unknown status is final: polling stops
    assert rendered["runningRows"] == "1,200 rows so far"
    assert rendered["finishedNewFields"] == "5 rows · 2.0\u00a0KB · in 2.5 s"
    assert rendered["bare"] == ""
    assert rendered["running"] == "10 rows so far · 1.5\u00a0KB · 3.0 s elapsed"
    assert rendered["expiredActions"] == ["expired"]
    assert rendered["keptActions"] == ["Download", "Resend"]
    assert rendered["runningActions"] == ["Cancel"]
