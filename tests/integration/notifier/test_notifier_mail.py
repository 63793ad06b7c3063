"""End to end through RabbitMQ: the real notifier process, PostgreSQL and an aiosmtpd server."""

import asyncio
import dataclasses
import gzip
import html as html_module
import re
import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path

import asyncpg

from services.api.settings import ApiSettings
from shared.events import RunCompleted
from shared.models import NotifyOn, RunStatus
from tests.integration.notifier.conftest import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTEMPTS,
    PUBLIC_BASE_URL,
    ArrangeRun,
    notification_rows,
    wait_for_final_rows,
    wait_until,
)
from tests.support.api import api_client
from tests.support.smtp_server import SmtpServer

Publish = Callable[[RunCompleted], Awaitable[None]]
UNKNOWN_MAILBOX = "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


def _attachments(message: EmailMessage) -> list[EmailMessage]:
    return list(message.iter_attachments())


async def test_each_recipient_gets_one_mail_with_both_parts_and_the_file(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    recipients = ["ana@example.com", "bo@example.com"]
    run = await arrange_run(recipients)

    await publish(run.completed())

    rows = await wait_for_final_rows(db, run.run_id, count=3)
    assert {recipient: row["status"] for recipient, row in rows.items()} == {
        "ana@example.com": "SENT",
        "bo@example.com": "SENT",
        "system": "SENT",
    }
    for recipient in recipients:
        (mail,) = smtp.mails(run.run_id, recipient)
        message = mail.message
        assert message["To"] == recipient
        assert message["Subject"] == f"[ReportFlow] {run.report_name} — SUCCESS (150 rows)"
        text, html = _parts(message)
        download = f"{PUBLIC_BASE_URL}/api/runs/{run.run_id}/signed-download?expires="
        for part in (text, html):
            assert run.report_name in part
            assert "Sales of the week, by region" in part
            assert "150" in part
            assert "1m 15s" in part
            assert download in part
        (attachment,) = _attachments(message)
        assert attachment.get_filename() == f"{run.run_id.hex}.csv"
        assert attachment.get_content() == "region,total\nnorth,150\n"


async def test_every_run_gets_its_log_line(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    succeeded = await arrange_run([])
    failed = await arrange_run([], status=RunStatus.FAILED)

    await publish(succeeded.completed())
    await publish(failed.completed())

    (success_row,) = (await wait_for_final_rows(db, succeeded.run_id, count=1)).values()
    (failure_row,) = (await wait_for_final_rows(db, failed.run_id, count=1)).values()
    assert (success_row["channel"], success_row["status"]) == ("LOG", "SENT")
    assert success_row["message"] == (
        f"Report '{succeeded.report_name}' completed successfully. "
        f"Rows exported: 150. Output: {Path(str(succeeded.output_path)).name}"
    )
    assert failure_row["message"] == (
        f"Report '{failed.report_name}' failed. Error: relation \"sales\" does not exist"
    )
    assert smtp.mails(succeeded.run_id) == smtp.mails(failed.run_id) == []


async def test_a_file_over_the_limit_is_linked_and_the_link_works_without_an_account(
    smtp: SmtpServer,
    arrange_run: ArrangeRun,
    publish: Publish,
    db: asyncpg.Connection,
    api_settings: ApiSettings,
) -> None:
    content = b"x" * (MAX_ATTACHMENT_BYTES + 1)
    run = await arrange_run(["ana@example.com"], output=content)

    await publish(run.completed())

    await wait_for_final_rows(db, run.run_id, count=2)
    (mail,) = smtp.mails(run.run_id, "ana@example.com")
    assert _attachments(mail.message) == []
    text, html = _parts(mail.message)
    assert "larger than the attachment limit" in text
    (link,) = re.findall(r"^Download: (\S+)\s*$", text, re.MULTILINE)
    assert link.startswith(f"{PUBLIC_BASE_URL}/api/runs/{run.run_id}/signed-download?")
    assert html_module.escape(link, quote=True) in html
    async with api_client(api_settings, as_admin=False) as recipient:
        download = await recipient.get(link.removeprefix(PUBLIC_BASE_URL))
    assert download.status_code == 200, download.text
    assert download.content == content


async def test_the_file_is_found_in_output_dir_whatever_directory_was_recorded(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    # The runner saw the output directory under another mount than this notifier does.
    run = await arrange_run(["ana@example.com"])
    assert run.output_path is not None
    elsewhere = f"/mnt/runner-outputs/{uuid.uuid4().hex}/{run.run_id.hex}.csv"
    await db.execute("UPDATE report_runs SET output_path = $2 WHERE id = $1", run.run_id, elsewhere)

    await publish(dataclasses.replace(run, output_path=elsewhere).completed())

    await wait_for_final_rows(db, run.run_id, count=2)
    (mail,) = smtp.mails(run.run_id, "ana@example.com")
    (attachment,) = _attachments(mail.message)
    assert attachment.get_filename() == f"{run.run_id.hex}.csv"
    assert attachment.get_content() == "region,total\nnorth,150\n"


async def test_a_gzipped_csv_is_attached_as_gzip_not_as_text(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    compressed = gzip.compress(b"region,total\nnorth,150\n")
    run = await arrange_run(["ana@example.com"], output=compressed, extension="csv.gz")

    await publish(run.completed())

    await wait_for_final_rows(db, run.run_id, count=2)
    (mail,) = smtp.mails(run.run_id, "ana@example.com")
    (attachment,) = _attachments(mail.message)
    assert attachment.get_filename() == f"{run.run_id.hex}.csv.gz"
    assert attachment.get_content_type() == "application/gzip"
    assert attachment.get_content() == compressed


async def test_notify_on_decides_which_runs_are_mailed(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    cases = [
        (NotifyOn.FAILURE, RunStatus.SUCCESS, "SKIPPED"),
        (NotifyOn.FAILURE, RunStatus.FAILED, "SENT"),
        (NotifyOn.SUCCESS, RunStatus.FAILED, "SKIPPED"),
        (NotifyOn.NEVER, RunStatus.FAILED, "SKIPPED"),
        (NotifyOn.ALWAYS, RunStatus.FAILED, "SENT"),
    ]
    runs = [
        (await arrange_run([f"case{index}@example.com"], notify_on=notify_on, status=status), want)
        for index, (notify_on, status, want) in enumerate(cases)
    ]

    for run, _ in runs:
        await publish(run.completed())

    for index, (run, want) in enumerate(runs):
        recipient = f"case{index}@example.com"
        rows = await wait_for_final_rows(db, run.run_id, count=2)
        assert rows[recipient]["status"] == want, cases[index]
        assert len(smtp.mails(run.run_id, recipient)) == (1 if want == "SENT" else 0), cases[index]
    failed_mail = smtp.mails(runs[1][0].run_id)[0].message
    assert failed_mail["Subject"] == f"[ReportFlow] {runs[1][0].report_name} — FAILED"
    assert 'relation "sales" does not exist' in _parts(failed_mail)[0]


async def test_an_unknown_mailbox_fails_at_once_and_the_others_are_still_served(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    smtp.handler.replies["nobody@example.com"] = UNKNOWN_MAILBOX
    run = await arrange_run(["nobody@example.com", "ana@example.com"])

    await publish(run.completed())

    rows = await wait_for_final_rows(db, run.run_id, count=3)
    assert rows["nobody@example.com"]["status"] == "FAILED"
    assert rows["nobody@example.com"]["attempts"] == 1
    assert rows["nobody@example.com"]["error_message"] == UNKNOWN_MAILBOX
    assert rows["ana@example.com"]["status"] == "SENT"
    assert len(smtp.mails(run.run_id, "ana@example.com")) == 1
    assert smtp.mails(run.run_id, "nobody@example.com") == []


async def test_a_server_that_is_down_then_up_delivers_each_mail_once(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    smtp.stop()
    recipients = ["ana@example.com", "bo@example.com"]
    run = await arrange_run(recipients)

    await publish(run.completed())

    async def retried() -> bool:
        rows = await notification_rows(db, run.run_id)
        emails = [row for row in rows if row["channel"] == "EMAIL"]
        return len(emails) == 2 and all(row["attempts"] >= 2 for row in emails)

    await wait_until(retried, what="a second attempt for both recipients")
    smtp.start()
    rows = await wait_for_final_rows(db, run.run_id, count=3)
    for recipient in recipients:
        assert rows[recipient]["status"] == "SENT"
        assert rows[recipient]["attempts"] >= 2
        assert len(smtp.mails(run.run_id, recipient)) == 1


async def test_a_server_that_keeps_answering_4xx_fails_after_the_last_attempt(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    smtp.handler.replies["busy@example.com"] = "451 4.3.0 Mailbox temporarily unavailable"
    run = await arrange_run(["busy@example.com"])

    await publish(run.completed())

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    assert rows["busy@example.com"]["status"] == "FAILED"
    assert rows["busy@example.com"]["attempts"] == MAX_ATTEMPTS
    assert rows["busy@example.com"]["error_message"] == (
        f"gave up after {MAX_ATTEMPTS} attempts; last error: "
        "451 4.3.0 Mailbox temporarily unavailable"
    )


async def test_a_redelivered_run_completed_sends_no_second_mail(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    run = await arrange_run(["ana@example.com", "bo@example.com"])
    event = run.completed()

    await publish(event)
    await publish(event)
    await publish(run.completed())

    await wait_for_final_rows(db, run.run_id, count=3)
    await asyncio.sleep(1.0)
    assert len(smtp.mails(run.run_id, "ana@example.com")) == 1
    assert len(smtp.mails(run.run_id, "bo@example.com")) == 1
    assert len(await notification_rows(db, run.run_id)) == 3


async def test_a_report_name_cannot_inject_mail_headers(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    marker = uuid.uuid4().hex[:6]
    run = await arrange_run(
        ["ana@example.com"],
        name=f"Sales {marker}\r\nBcc: evil@example.com\r\nX-Injected: yes",
        description="Weekly\nX-Also-Injected: yes\x0b\u2028Bcc: evil@example.com",
    )

    await publish(run.completed())

    await wait_for_final_rows(db, run.run_id, count=2)
    assert [mail.recipient for mail in smtp.mails(run.run_id)] == ["ana@example.com"]
    message = smtp.mails(run.run_id, "ana@example.com")[0].message
    for header in ("Bcc", "X-Injected", "X-Also-Injected"):
        assert message[header] is None
    # The text survives as words of the one Subject line (folding may double a space).
    assert " ".join(message["Subject"].split()) == (
        f"[ReportFlow] Sales {marker} Bcc: evil@example.com X-Injected: yes — SUCCESS (150 rows)"
    )


async def test_a_claim_left_by_a_crashed_notifier_is_failed_not_resent(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    run = await arrange_run(["ana@example.com"])
    await db.execute(
        "INSERT INTO notification_log (id, run_id, channel, recipient, attempts, claimed_at)"
        " VALUES ($1, $2, 'EMAIL', 'ana@example.com', 1, now() - interval '1 hour')",
        uuid.uuid4(),
        run.run_id,
    )

    await publish(run.completed())

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    assert rows["ana@example.com"]["status"] == "FAILED"
    assert "outcome unknown" in rows["ana@example.com"]["error_message"]
    assert smtp.mails(run.run_id, "ana@example.com") == []


async def test_a_retry_whose_message_was_lost_is_sent_by_the_sweeper(
    smtp: SmtpServer, arrange_run: ArrangeRun, notifier: object, db: asyncpg.Connection
) -> None:
    run = await arrange_run(["ana@example.com"])
    await db.execute(
        "INSERT INTO notification_log (id, run_id, channel, recipient, attempts, next_attempt_at)"
        " VALUES ($1, $2, 'EMAIL', 'ana@example.com', 1, now() - interval '1 hour')",
        uuid.uuid4(),
        run.run_id,
    )

    rows = await wait_for_final_rows(db, run.run_id, count=1)

    assert rows["ana@example.com"]["status"] == "SENT"
    assert rows["ana@example.com"]["attempts"] == 2
    assert len(smtp.mails(run.run_id, "ana@example.com")) == 1
