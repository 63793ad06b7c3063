"""The first rows in the mail and deliver_if's first_value, through the running services: the
API saves the report, a runner process exports it and keeps its first rows with the run, a
notifier process mails them (or records SKIPPED with the reason) through a real SMTP server."""

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import LimitedSystem
from tests.support.api import create_report, run_and_wait
from tests.support.metrics import free_port
from tests.support.sandbox import SandboxSource
from tests.support.scenarios import Scenario
from tests.support.smtp_server import ReceivedMail, SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

README = Path(__file__).resolve().parents[2] / "README.md"
READER = "ana@example.com"
WAIT = 60
AWKWARD_ROWS = """
SELECT * FROM (VALUES
    (1, '<script>alert(1)</script>', 'plain'),
    (2, 'Tom & "Jerry"', E'two\\nlines'),
    (3, '''single'' quotes', NULL),
    (4, 'not shown', 'x')
) AS t(id, note, more)
"""


@dataclass(frozen=True)
class DeliverySystem:
    scenario: Scenario
    client: httpx.AsyncClient
    smtp: SmtpServer
    receiver: WebhookReceiver

    @property
    def db(self) -> asyncpg.Connection:
        return self.scenario.db


@pytest.fixture(scope="module")
async def system(limited_system: LimitedSystem) -> AsyncIterator[DeliverySystem]:
    """The module's own system (database, namespace, runner, API client) with a notifier
    mailing a real SMTP server, and a webhook receiver."""
    smtp = SmtpServer(free_port())
    smtp.start()
    receiver = WebhookReceiver()
    await receiver.start()
    try:
        scenario = limited_system.scenario
        await asyncio.to_thread(scenario.start, "notifier", **smtp.notifier_env())
        yield DeliverySystem(scenario, limited_system.client, smtp, receiver)
    finally:
        await receiver.stop()
        smtp.stop()


async def _ledger(db: asyncpg.Connection, run_id: str, count: int) -> dict[str, Any]:
    """The run's final ledger rows by recipient, once `count` rows (the log line included)
    are there and none is PENDING."""
    deadline = time.monotonic() + WAIT
    while True:
        rows = await db.fetch(
            "SELECT recipient, status, message, error_message FROM notification_log"
            " WHERE run_id = $1::uuid",
            run_id,
        )
        if len(rows) == count and all(row["status"] != "PENDING" for row in rows):
            return {row["recipient"]: dict(row) for row in rows}
        if time.monotonic() > deadline:
            raise AssertionError(f"ledger of run {run_id} not final: {rows}")
        await asyncio.sleep(0.2)


async def _delivered(system: DeliverySystem, sql: str, **fields: Any) -> dict[str, Any]:
    report_id = await create_report(system.client, sql, recipients=[READER], **fields)
    run = await run_and_wait(system.client, report_id, WAIT)
    assert run["status"] == "SUCCESS", run
    return run


def _mail(system: DeliverySystem, run_id: str) -> EmailMessage:
    mails: list[ReceivedMail] = [
        mail
        for mail in system.smtp.handler.received
        if mail.message["X-ReportFlow-Run-Id"] == run_id
    ]
    assert len(mails) == 1
    return mails[0].message


async def test_the_first_rows_are_in_both_parts_of_the_mail_escaped_with_the_file_attached(
    system: DeliverySystem,
) -> None:
    run = await _delivered(system, AWKWARD_ROWS, inline_rows=3)
    ledger = await _ledger(system.db, run["id"], 2)
    assert ledger[READER]["status"] == "SENT"
    mail = _mail(system, run["id"])

    html_part = mail.get_body(("html",))
    text_part = mail.get_body(("plain",))
    assert html_part is not None
    assert text_part is not None
    html = html_part.get_content()
    table = html[html.index("The first 3 of 4 rows:") :]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table
    assert "Tom &amp; &quot;Jerry&quot;" in table
    assert "two<br>lines" in table
    assert "&#x27;single&#x27; quotes" in table
    assert "not shown" not in table
    assert re.findall(r"<th [^>]*>(\w+)</th>", table) == ["id", "note", "more"]
    assert "The first 3 of 4 rows:" in html
    text = text_part.get_content().replace("\r\n", "\n")
    assert (
        "id | note                      | more\n"
        "---+---------------------------+------------\n"
        "1  | <script>alert(1)</script> | plain\n"
        '2  | Tom & "Jerry"             | two ↵ lines\n'
        "3  | 'single' quotes           |\n"
    ) in text
    assert [part.get_filename() for part in mail.iter_attachments()] == [
        Path(str(run["output_path"])).name
    ]


async def test_a_first_value_condition_delivers_only_the_runs_that_meet_it(
    system: DeliverySystem,
) -> None:
    over = [{"metric": "first_value", "op": ">", "value": 40}]
    met = await _delivered(system, "SELECT 42.5 AS total, 'x' AS other", deliver_if=over)
    missed = await _delivered(system, "SELECT 7 AS total", deliver_if=over)
    empty = await _delivered(system, "SELECT 50 AS total WHERE false", deliver_if=over)
    as_text = await _delivered(
        system,
        "SELECT 'open' AS state",
        deliver_if=[{"metric": "first_value", "op": "==", "value": "closed"}],
    )

    assert (await _ledger(system.db, met["id"], 2))[READER]["status"] == "SENT"
    assert len(_mail(system, met["id"]).get_body(("plain",)).get_content()) > 0  # type: ignore[union-attr]
    reasons = {
        name: (await _ledger(system.db, run["id"], 2))[READER]
        for name, run in (("missed", missed), ("empty", empty), ("as_text", as_text))
    }
    assert {name: row["status"] for name, row in reasons.items()} == dict.fromkeys(
        reasons, "SKIPPED"
    )
    assert reasons["missed"]["message"] == (
        "deliver_if not met: first_value 7 > 40 is false (compared as numbers)"
    )
    assert reasons["empty"]["message"] == (
        "deliver_if not met: first_value > 40 cannot hold: the run has no rows"
    )
    assert reasons["as_text"]["message"] == (
        "deliver_if not met: first_value 'open' == 'closed' is false (compared as text)"
    )
    first_rows = await system.db.fetchval(
        "SELECT first_rows FROM report_runs WHERE id = $1::uuid", missed["id"]
    )
    assert json.loads(first_rows) == {"columns": ["total"], "rows": [["7"]], "cut": False}


async def test_a_row_count_condition_still_withholds_a_small_result(
    system: DeliverySystem,
) -> None:
    few = await _delivered(
        system,
        "SELECT g FROM generate_series(1, 5) AS g",
        deliver_if=[{"metric": "row_count", "op": ">", "value": 10}],
    )
    skipped = (await _ledger(system.db, few["id"], 2))[READER]
    assert (skipped["status"], skipped["message"]) == (
        "SKIPPED",
        "deliver_if not met: row_count 5 > 10 is false",
    )


def _readme_example() -> dict[str, Any]:
    """The body of the README's example with a condition, an inline table and a webhook."""
    text = README.read_text()
    start = text.index("-d @- <<'EOF'\n") + len("-d @- <<'EOF'\n")
    body: dict[str, Any] = json.loads(text[start : text.index("\nEOF\n", start)])
    return body


async def test_the_readme_example_saves_and_delivers_its_table_and_webhook(
    system: DeliverySystem, data_source: SandboxSource
) -> None:
    body = _readme_example()
    assert body["inline_rows"] > 0
    assert {condition["metric"] for condition in body["deliver_if"]} == {"first_value"}
    assert [channel["type"] for channel in body["channels"]] == ["webhook"]
    await data_source.add_tables(
        "CREATE TABLE IF NOT EXISTS orders (id integer PRIMARY KEY, user_id integer, "
        "order_date date NOT NULL, amount numeric(12, 2) NOT NULL, status text NOT NULL);"
        "INSERT INTO orders SELECT n, n, current_date - n, n * 1.5, "
        "CASE WHEN n % 2 = 0 THEN 'pending' ELSE 'paid' END "
        "FROM generate_series(1, 24) AS n ON CONFLICT DO NOTHING"
    )
    body["name"] = f"{body['name']} {time.monotonic_ns()}"
    body["channels"][0]["url"] = system.receiver.url("/readme")
    created = await system.client.post("/api/reports", json=body)
    assert created.status_code == 201, created.text

    run = await run_and_wait(system.client, created.json()["id"], WAIT)
    assert run["status"] == "SUCCESS", run
    ledger = await _ledger(system.db, run["id"], 3)
    assert {row["status"] for row in ledger.values()} == {"SENT"}
    text = _mail(system, run["id"]).get_body(("plain",))
    assert text is not None
    assert f"The first {body['inline_rows']} of 12 rows:" in text.get_content()
    assert "pending | id | order_date | amount" in text.get_content()
    hooks = [request for request in system.receiver.received if request.path == "/readme"]
    assert len(hooks) == 1
    assert json.loads(hooks[0].body)["run"]["row_count"] == 12
