"""`only_if_changed` in the real notifier, on the real PostgreSQL and SMTP server: of identical
runs handled at once only one is mailed, and which run counts as the last delivered one."""

import asyncio
import uuid

import asyncpg
import pytest

from shared.events import RunCompleted
from shared.models import RunStatus
from tests.integration.notifier.conftest import (
    ArrangedRun,
    ArrangeRun,
    MakeNotifier,
    notification_rows,
)
from tests.support.smtp_server import SmtpServer

CONTENT = "c" * 64
RECIPIENTS = ["ana@example.com", "bo@example.com"]


@pytest.fixture
async def first_run(arrange_run: ArrangeRun, db: asyncpg.Connection) -> ArrangedRun:
    """A successful run of a new `only_if_changed` report whose file has the sha256 CONTENT."""
    run = await arrange_run(RECIPIENTS)
    await db.execute("UPDATE reports SET only_if_changed = true WHERE id = $1", run.report_id)
    await db.execute("UPDATE report_runs SET sha256 = $2 WHERE id = $1", run.run_id, CONTENT)
    return run


async def _next_run(db: asyncpg.Connection, first: ArrangedRun, sha256: str) -> RunCompleted:
    """Another successful run of the same report, finished after those before it."""
    run_id = uuid.uuid4()
    await db.execute(
        "INSERT INTO report_runs (id, report_id, trigger, status, started_at, finished_at,"
        " row_count, output_path, sha256)"
        " SELECT $1, report_id, 'MANUAL', 'SUCCESS', now(), clock_timestamp(), row_count,"
        " output_path, $3 FROM report_runs WHERE id = $2",
        run_id,
        first.run_id,
        sha256,
    )
    return RunCompleted(run_id=run_id, report_id=first.report_id, status=RunStatus.SUCCESS)


async def _statuses(db: asyncpg.Connection, run_id: uuid.UUID) -> set[str]:
    rows = await notification_rows(db, run_id)
    return {row["status"] for row in rows if row["channel"] == "EMAIL"}


async def test_of_identical_runs_handled_at_once_exactly_one_is_mailed(
    smtp: SmtpServer, db: asyncpg.Connection, make_notifier: MakeNotifier, first_run: ArrangedRun
) -> None:
    # Two notifiers (as two processes would), four identical runs, none delivered before.
    notifiers = [make_notifier() for _ in range(2)]
    first = first_run
    events = [first.completed()] + [await _next_run(db, first, CONTENT) for _ in range(3)]

    await asyncio.gather(
        *(notifiers[index % 2].handle(event) for index, event in enumerate(events))
    )

    outcomes = {event.run_id: await _statuses(db, event.run_id) for event in events}
    mailed = [run_id for run_id, statuses in outcomes.items() if statuses == {"SENT"}]
    assert len(mailed) == 1, outcomes
    assert len(smtp.run_mails()) == len(RECIPIENTS)
    for run_id in set(outcomes) - set(mailed):
        assert outcomes[run_id] == {"SKIPPED"}
        for row in await notification_rows(db, run_id):
            if row["channel"] == "EMAIL":
                assert row["message"] == f"unchanged since run {mailed[0]}, sha256 {CONTENT}"


async def test_a_delivery_still_under_way_counts_and_one_that_failed_everywhere_does_not(
    smtp: SmtpServer, db: asyncpg.Connection, make_notifier: MakeNotifier, first_run: ArrangedRun
) -> None:
    notifier, first = make_notifier(), first_run
    await db.execute(
        # Waiting for a retry an hour away: no sweeper sends it during the test.
        "INSERT INTO notification_log (id, run_id, channel, recipient, status, attempts,"
        " next_attempt_at) VALUES (gen_random_uuid(), $1, 'EMAIL', 'ana@example.com',"
        " 'PENDING', 1, now() + interval '1 hour')",
        first.run_id,
    )
    while_pending = await _next_run(db, first, CONTENT)
    await notifier.handle(while_pending)
    assert await _statuses(db, while_pending.run_id) == {"SKIPPED"}

    await db.execute(
        "UPDATE notification_log SET status = 'FAILED' WHERE run_id = $1", first.run_id
    )
    after_failure = await _next_run(db, first, CONTENT)
    await notifier.handle(after_failure)
    assert await _statuses(db, after_failure.run_id) == {"SENT"}
    assert len(smtp.mails(after_failure.run_id)) == len(RECIPIENTS)


async def test_a_failure_notice_in_between_makes_the_same_file_news_again(
    db: asyncpg.Connection, make_notifier: MakeNotifier, first_run: ArrangedRun
) -> None:
    notifier, first = make_notifier(), first_run
    await notifier.handle(first.completed())
    failed = await _next_run(db, first, CONTENT)
    await db.execute(
        "UPDATE report_runs SET status = 'FAILED', sha256 = NULL, output_path = NULL,"
        " error_message = 'boom' WHERE id = $1",
        failed.run_id,
    )
    await notifier.handle(
        RunCompleted(run_id=failed.run_id, report_id=first.report_id, status=RunStatus.FAILED)
    )
    same_again = await _next_run(db, first, CONTENT)
    await notifier.handle(same_again)

    assert await _statuses(db, first.run_id) == {"SENT"}
    assert await _statuses(db, failed.run_id) == {"SENT"}
    assert await _statuses(db, same_again.run_id) == {"SENT"}
