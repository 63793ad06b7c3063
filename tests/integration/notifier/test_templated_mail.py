"""The real notifier applies a report's templates; one that fails with the run's real values
gives the default and the run's LOG row says so, and the mail is still sent."""

from collections.abc import Awaitable, Callable

import asyncpg

from shared.events import RunCompleted
from shared.models import RunStatus
from tests.integration.notifier.conftest import ArrangeRun, wait_for_final_rows
from tests.support.smtp_server import SmtpServer

Publish = Callable[[RunCompleted], Awaitable[None]]


async def test_a_template_failing_at_delivery_falls_back_and_the_ledger_says_so(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    run = await arrange_run(["ana@example.com"], status=RunStatus.FAILED)
    # Valid at save (sample values have rows), but a failed run has none: None + 1 fails.
    await db.execute(
        "UPDATE reports SET subject_template = '{{ rows + 1 }} rows',"
        " body_template = 'Failed: {{ error | upper }}' WHERE id = $1",
        run.report_id,
    )

    await publish(run.completed())

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    assert rows["ana@example.com"]["status"] == "SENT"
    assert "subject_template could not be rendered" in rows["system"]["message"]
    (mail,) = smtp.mails(run.run_id, "ana@example.com")
    assert mail.message["Subject"] == f"[ReportFlow] {run.report_name} — FAILED"
    text = mail.message.get_body(("plain",))
    assert text is not None
    assert str(text.get_content()).startswith('Failed: RELATION "SALES" DOES NOT EXIST')
