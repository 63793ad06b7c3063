"""What the notifier decides at send time, on the real PostgreSQL and SMTP server: recipients
outside ALLOWED_RECIPIENT_DOMAINS get no mail, and a report deleted while its run.completed is
in flight is a log line, not a traceback."""

import asyncio
import logging
from pathlib import Path

import asyncpg
import pytest

from tests.integration.notifier.conftest import (
    ArrangeRun,
    MakeNotifier,
    notification_rows,
    wait_until,
)
from tests.support.smtp_server import SmtpServer


async def test_recipients_outside_the_allowed_domains_are_skipped_without_mail(
    smtp: SmtpServer,
    arrange_run: ArrangeRun,
    db: asyncpg.Connection,
    make_notifier: MakeNotifier,
    output_dir: Path,
) -> None:
    notifier = make_notifier(allowed_recipient_domains="example.com,corp.local")
    run = await arrange_run(["ana@example.com", "ops@corp.local", "victim@elsewhere.org"])

    await notifier.handle(run.completed())

    rows = {row["recipient"]: row for row in await notification_rows(db, run.run_id)}
    assert rows["ana@example.com"]["status"] == "SENT"
    assert rows["ops@corp.local"]["status"] == "SENT"
    assert rows["victim@elsewhere.org"]["status"] == "SKIPPED"
    assert "ALLOWED_RECIPIENT_DOMAINS" in rows["victim@elsewhere.org"]["error_message"]
    assert smtp.mails(run.run_id, "victim@elsewhere.org") == []
    assert len(smtp.mails(run.run_id)) == 2


async def _someone_waits_for_a_lock(db: asyncpg.Connection) -> bool:
    waiting: bool = await db.fetchval(
        "SELECT count(*) > 0 FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return waiting


async def test_a_report_deleted_while_its_event_is_handled_is_logged_not_raised(
    smtp: SmtpServer,
    arrange_run: ArrangeRun,
    db: asyncpg.Connection,
    database_url: str,
    make_notifier: MakeNotifier,
    caplog: pytest.LogCaptureFixture,
) -> None:
    notifier = make_notifier()
    run = await arrange_run(["ana@example.com"])
    deleting = await asyncpg.connect(database_url)
    try:
        # The delete is under way: the notifier reads the run, then waits on the row lock.
        transaction = deleting.transaction()
        await transaction.start()
        await deleting.execute("DELETE FROM reports WHERE id = $1", run.report_id)
        with caplog.at_level(logging.INFO, logger="services.notifier.delivery"):
            handling = asyncio.create_task(notifier.handle(run.completed()))
            await wait_until(
                lambda: _someone_waits_for_a_lock(db), "the notifier to wait for the delete"
            )
            await transaction.commit()
            await handling
    finally:
        await deleting.close()

    assert "no longer exists" in caplog.text
    assert await notification_rows(db, run.run_id) == []
    assert smtp.mails(run.run_id) == []


async def test_an_event_for_an_already_deleted_report_is_logged_not_raised(
    smtp: SmtpServer,
    arrange_run: ArrangeRun,
    db: asyncpg.Connection,
    make_notifier: MakeNotifier,
    caplog: pytest.LogCaptureFixture,
) -> None:
    notifier = make_notifier()
    run = await arrange_run(["ana@example.com"])
    await db.execute("DELETE FROM reports WHERE id = $1", run.report_id)

    with caplog.at_level(logging.INFO, logger="services.notifier.delivery"):
        await notifier.handle(run.completed())

    assert "no longer exists" in caplog.text
    assert smtp.mails(run.run_id) == []
