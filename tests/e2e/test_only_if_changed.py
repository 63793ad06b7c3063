"""`only_if_changed` through the running services (API, runner, notifier) and the real SMTP
server: of two identical runs only the first is mailed, the second gets a SKIPPED row saying
why; changed data is mailed again; a resend of the unchanged run is delivered all the same."""

import asyncio
import time
import uuid

import asyncpg

from services.api.settings import ApiSettings
from tests.support.api import api_client, create_report, run_and_wait
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY
from tests.support.smtp_server import SmtpServer

READER = "ana@example.com"
SETTLE_SECONDS = 60.0
RUN_WAIT_SECONDS = 60.0


async def _settled_mail_row(
    db: asyncpg.Connection, run_id: str, resend_id: str | None = None
) -> asyncpg.Record:
    """The run's (or the resend's) e-mail row to READER once it is no longer PENDING."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        row = await db.fetchrow(
            "SELECT * FROM notification_log WHERE run_id = $1::uuid AND channel = 'EMAIL'"
            " AND recipient = $2 AND resend_id IS NOT DISTINCT FROM $3::uuid",
            run_id,
            READER,
            resend_id,
        )
        if row is not None and row["status"] != "PENDING":
            return row
        assert time.monotonic() < deadline, f"the mail row of {run_id} never settled: {row}"
        await asyncio.sleep(0.1)


async def test_an_unchanged_file_is_not_mailed_again_but_changed_data_and_a_resend_are(
    api_settings: ApiSettings, scenario: Scenario, smtp: SmtpServer
) -> None:
    table = f"only_changed_{uuid.uuid4().hex[:8]}"
    await scenario.source.add_tables(
        f"CREATE TABLE {table} (region text, total integer);"
        f"INSERT INTO {table} VALUES ('north', 150), ('south', 90);"
    )
    scenario.start("runner", **FAST_RECOVERY)
    scenario.start("notifier", **smtp.notifier_env())
    db = scenario.db
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id = await create_report(
            client,
            f"SELECT region, total FROM {table} ORDER BY region",
            recipients=[READER],
            compression="gzip",  # a file name or a time in the gzip header would differ
            only_if_changed=True,
        )
        first = await run_and_wait(client, report_id, RUN_WAIT_SECONDS)
        first_row = await _settled_mail_row(db, first["id"])
        await asyncio.sleep(1.1)  # the file's name (to the second) differs from the first's
        second = await run_and_wait(client, report_id, RUN_WAIT_SECONDS)
        second_row = await _settled_mail_row(db, second["id"])

        source = await asyncpg.connect(scenario.source.admin_url)
        try:
            await source.execute(f"UPDATE {table} SET total = 151 WHERE region = 'north'")
        finally:
            await source.close()
        third = await run_and_wait(client, report_id, RUN_WAIT_SECONDS)
        third_row = await _settled_mail_row(db, third["id"])

        resend = await client.post(f"/api/runs/{second['id']}/resend")
        assert resend.status_code == 202, resend.text
        resent_row = await _settled_mail_row(db, second["id"], resend.json()["resend_id"])

    assert [run["status"] for run in (first, second, third)] == ["SUCCESS"] * 3
    assert first["output_path"] != second["output_path"]
    assert first["sha256"] == second["sha256"] != third["sha256"]
    assert (first_row["status"], second_row["status"]) == ("SENT", "SKIPPED")
    assert second_row["message"] == f"unchanged since run {first['id']}, sha256 {first['sha256']}"
    assert third_row["status"] == "SENT"
    assert resent_row["status"] == "SENT"
    assert len(smtp.mails(uuid.UUID(first["id"]), READER)) == 1
    assert len(smtp.mails(uuid.UUID(third["id"]), READER)) == 1
    [resent_mail] = smtp.mails(uuid.UUID(second["id"]), READER)
    assert resent_mail.message["X-ReportFlow-Resend-Id"] == resend.json()["resend_id"]
