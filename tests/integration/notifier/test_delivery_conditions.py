"""When a successful run is delivered, through the real notifier: `empty_result: skip` and
`deliver_if` conditions leave a SKIPPED row per target saying why, and send nothing."""

from collections.abc import Awaitable, Callable

import asyncpg

from shared.events import RunCompleted
from tests.integration.notifier.conftest import ArrangeRun, SealWebhook, wait_for_final_rows
from tests.support.smtp_server import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

Publish = Callable[[RunCompleted], Awaitable[None]]
MORE_THAN_TEN = [{"metric": "row_count", "op": ">", "value": 10}]


async def test_an_empty_result_with_skip_sends_nothing_and_says_why(
    smtp: SmtpServer,
    receiver: WebhookReceiver,
    seal_webhook: SealWebhook,
    arrange_run: ArrangeRun,
    publish: Publish,
    db: asyncpg.Connection,
) -> None:
    hook = seal_webhook(receiver.url(), "s" * 20)
    run = await arrange_run(["ana@example.com"], rows=0, empty_result="skip", channels=[hook])

    await publish(run.completed())

    rows = await wait_for_final_rows(db, run.run_id, count=3)
    for target in ("ana@example.com", "127.0.0.1"):
        assert rows[target]["status"] == "SKIPPED"
        assert rows[target]["message"] == "the query returned no rows and empty_result is skip"
    assert smtp.mails(run.run_id) == []
    assert receiver.received == []


async def test_a_row_count_condition_delivers_only_the_runs_that_meet_it(
    smtp: SmtpServer, arrange_run: ArrangeRun, publish: Publish, db: asyncpg.Connection
) -> None:
    few = await arrange_run(["ana@example.com"], rows=5, deliver_if=MORE_THAN_TEN)
    many = await arrange_run(["ana@example.com"], rows=11, deliver_if=MORE_THAN_TEN)

    await publish(few.completed())
    await publish(many.completed())

    skipped = (await wait_for_final_rows(db, few.run_id, count=2))["ana@example.com"]
    sent = (await wait_for_final_rows(db, many.run_id, count=2))["ana@example.com"]
    assert skipped["status"] == "SKIPPED"
    assert skipped["message"] == "deliver_if not met: row_count 5 > 10 is false"
    assert sent["status"] == "SENT"
    assert smtp.mails(few.run_id) == []
    assert len(smtp.mails(many.run_id)) == 1
