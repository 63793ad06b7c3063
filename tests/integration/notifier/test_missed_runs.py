"""A finished run whose run.completed never arrived is still logged and mailed, once."""

import asyncio

import asyncpg

from shared.messaging import Broker
from tests.integration.notifier.conftest import (
    ArrangeRun,
    notification_rows,
    notifier_env,
    wait_for_final_rows,
)
from tests.support.services import StartService
from tests.support.smtp_server import SmtpServer


async def test_a_run_whose_run_completed_never_arrived_is_logged_and_mailed_once(
    smtp: SmtpServer,
    arrange_run: ArrangeRun,
    db: asyncpg.Connection,
    broker: Broker,
    start_service: StartService,
) -> None:
    # As after a database outage that outlasted the event's deliveries: the run is finished,
    # nothing was published, and its run.completed sits in a dead-letter queue.
    recipients = ["ana@example.com", "bo@example.com"]
    run = await arrange_run(recipients)
    too_old = await arrange_run(["ana@example.com"])
    await db.execute(
        "UPDATE report_runs SET finished_at = now() - interval '25 hours' WHERE id = $1",
        too_old.run_id,
    )

    notifier = start_service(
        "notifier",
        **notifier_env(smtp),
        NOTIFIER_MISSED_AFTER_SECONDS="1",
        NOTIFIER_MISSED_LOOKBACK_HOURS="24",
    )
    try:
        rows = await wait_for_final_rows(db, run.run_id, count=3)
        await broker.publish(run.completed())  # the real event, late after all
        await asyncio.sleep(1.5)
    finally:
        notifier.stop()

    assert rows["system"]["channel"] == "LOG"
    assert rows["system"]["message"].startswith(f"Report '{run.report_name}' completed")
    for recipient in recipients:
        assert rows[recipient]["status"] == "SENT"
        assert len(smtp.mails(run.run_id, recipient)) == 1
    assert len(await notification_rows(db, run.run_id)) == 3
    assert "run.completed never arrived" in notifier.log_text()
    assert await notification_rows(db, too_old.run_id) == []
    assert smtp.mails(too_old.run_id) == []
