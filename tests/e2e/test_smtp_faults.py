"""Scenario 5: the mail server is down for a while, then answers 4xx (try later) for one
recipient and 5xx (never) for another. After recovery every deliverable mail arrives exactly
once, the 5xx recipient is FAILED with the server's reply after one answer and never asked
again, and the ledger (notification_log) counts every attempt the server saw.

`make test` sends 10 runs to 3 recipients through a 3 s outage and 3 s of 4xx; `bench/faults.py`
100 runs through 20 s of each.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

import asyncpg

from services.api.settings import ApiSettings
from tests.support.api import api_client, create_report
from tests.support.fault_figures import OUTBOX_GRACE, Figures, record_figures, short_or_long
from tests.support.invariants import assert_invariants
from tests.support.runs import wait_until_all_finished
from tests.support.scenarios import Scenario
from tests.support.services import FAST_RECOVERY
from tests.support.smtp_server import SmtpServer

RUNS = short_or_long(10, 100)
DOWN_SECONDS = short_or_long(3.0, 20.0)
TRANSIENT_SECONDS = short_or_long(3.0, 20.0)
READER, BUSY, GONE = "ana@example.com", "busy@example.com", "gone@example.com"
BUSY_REPLY = "451 4.3.0 Mailbox temporarily unavailable"
GONE_REPLY = "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown"


async def _email_rows(db: asyncpg.Connection, report_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT n.* FROM notification_log n JOIN report_runs r ON r.id = n.run_id "
        "WHERE r.report_id = $1::uuid AND n.channel = 'EMAIL'",
        report_id,
    )


async def _wait_for_rows(
    db: asyncpg.Connection,
    report_id: str,
    condition: Callable[[list[asyncpg.Record]], bool],
    what: str,
    within: float,
) -> list[asyncpg.Record]:
    deadline = time.monotonic() + within
    while True:
        rows = await _email_rows(db, report_id)
        if len(rows) == 3 * RUNS and condition(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} after {within} s: {len(rows)} rows")
        await asyncio.sleep(0.2)


async def _at_least(seconds: float, since: float, waiting: Awaitable[object]) -> None:
    await waiting
    await asyncio.sleep(max(0.0, seconds - (time.monotonic() - since)))


def _tried_while_down(rows: list[asyncpg.Record]) -> bool:
    return all(row["status"] == "PENDING" and row["attempts"] >= 1 for row in rows)


def _busy_refused(rows: list[asyncpg.Record]) -> bool:
    busy = [row for row in rows if row["recipient"] == BUSY]
    return all(str(row["error_message"]).startswith("451") for row in busy)


def _settled(rows: list[asyncpg.Record]) -> bool:
    return all(row["status"] != "PENDING" for row in rows)


async def test_mail_held_up_by_an_outage_and_4xx_arrives_once_and_5xx_fails_at_once(
    api_settings: ApiSettings, scenario: Scenario, smtp: SmtpServer
) -> None:
    db = scenario.db
    smtp.stop()
    smtp.handler.replies[GONE] = GONE_REPLY
    scenario.start("runner", **FAST_RECOVERY)
    # Enough attempts to outlast both outages: this scenario is about recovery.
    scenario.start("notifier", **smtp.notifier_env(), NOTIFIER_MAX_ATTEMPTS="1000")
    async with api_client(scenario.api_settings(api_settings)) as client:
        report_id = await create_report(
            client, "SELECT 1 AS one", recipients=[READER, BUSY, GONE], notify_on="ALWAYS"
        )
        down_since = time.monotonic()
        responses = [await client.post(f"/api/reports/{report_id}/run") for _ in range(RUNS)]
    run_ids = [response.json()["id"] for response in responses]
    runs = await wait_until_all_finished(db, run_ids, within=60)
    waiting = _wait_for_rows(db, report_id, _tried_while_down, "tried while down", 60)
    await _at_least(DOWN_SECONDS, down_since, waiting)

    smtp.handler.replies[BUSY] = BUSY_REPLY
    smtp.start()
    refusing_since = time.monotonic()
    waiting = _wait_for_rows(db, report_id, _busy_refused, "refused with 4xx", 60)
    await _at_least(TRANSIENT_SECONDS, refusing_since, waiting)

    del smtp.handler.replies[BUSY]
    recovered_at = time.monotonic()
    rows = await _wait_for_rows(db, report_id, _settled, "settled", short_or_long(60, 300))
    recovery_seconds = time.monotonic() - recovered_at

    by_recipient = {
        recipient: [row for row in rows if row["recipient"] == recipient]
        for recipient in (READER, BUSY, GONE)
    }
    assert {run["status"] for run in runs} == {"SUCCESS"}
    assert {row["status"] for row in by_recipient[READER] + by_recipient[BUSY]} == {"SENT"}
    assert {(row["status"], row["error_message"]) for row in by_recipient[GONE]} == {
        ("FAILED", GONE_REPLY)
    }
    refusals = [address for address, _ in smtp.handler.refused]
    # 5xx is final: the server was asked about each mail to GONE exactly once.
    assert refusals.count(GONE) == RUNS
    # Every attempt the server answered is in the ledger: the down ones, the 4xx, the send.
    assert all(row["attempts"] >= 3 for row in by_recipient[BUSY])
    assert sum(row["attempts"] - 1 for row in by_recipient[BUSY]) >= refusals.count(BUSY) >= RUNS
    assert all(row["attempts"] >= 2 for row in by_recipient[READER] + by_recipient[GONE])
    mails = smtp.run_mails()
    expected = [(recipient, run_id) for run_id in run_ids for recipient in (READER, BUSY)]
    verdict = await assert_invariants(
        db,
        [report_id],
        scenario.output_dir,
        mails,
        requested_runs=run_ids,
        expected_mails=expected,
        outbox_grace=OUTBOX_GRACE,
    )
    record_figures(
        Figures(
            f"5. SMTP down {DOWN_SECONDS:.0f} s, then 4xx {TRANSIENT_SECONDS:.0f} s for one "
            f"recipient, 5xx for another; {RUNS:,} runs",
            requested=len(expected),
            completed=len(set(mails)),
            duplicates=verdict.duplicates,
            lost=verdict.lost,
            recovery_seconds=recovery_seconds,
            notes=(
                f"{RUNS} x 5xx FAILED after one answer each; most attempts for one mail "
                f"{max(row['attempts'] for row in rows)}"
            ),
        )
    )
