"""Resend through the API and the real notifier: the stored file goes out once more, as rows
of its own with a fresh Message-ID, to one recipient when asked; refused without a file."""

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx

from shared.events import ResendRequested, RunCompleted
from shared.messaging import Broker
from shared.models import RunStatus
from tests.integration.notifier.conftest import (
    ArrangeRun,
    SealWebhook,
    notification_rows,
    wait_for_final_rows,
    wait_until,
)
from tests.support.smtp_server import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

Publish = Callable[[RunCompleted], Awaitable[None]]
RECIPIENTS = ["ana@example.com", "bo@example.com"]


async def _resend_rows(
    db: asyncpg.Connection, resend_id: uuid.UUID, count: int
) -> dict[str, asyncpg.Record]:
    async def settled() -> bool:
        rows = await db.fetch("SELECT * FROM notification_log WHERE resend_id = $1", resend_id)
        return len(rows) == count and all(row["status"] != "PENDING" for row in rows)

    await wait_until(settled, f"{count} final rows of the resend")
    rows = await db.fetch("SELECT * FROM notification_log WHERE resend_id = $1", resend_id)
    return {row["recipient"]: row for row in rows}


async def test_a_resend_delivers_the_file_once_more_to_every_target(
    smtp: SmtpServer,
    receiver: WebhookReceiver,
    seal_webhook: SealWebhook,
    arrange_run: ArrangeRun,
    publish: Publish,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
) -> None:
    run = await arrange_run(RECIPIENTS, channels=[seal_webhook(receiver.url(), "s" * 20)])
    await publish(run.completed())
    await wait_for_final_rows(db, run.run_id, count=4)

    response = await client.post(f"/api/runs/{run.run_id}/resend")

    assert response.status_code == 202, response.text
    resend_id = uuid.UUID(response.json()["resend_id"])
    rows = await _resend_rows(db, resend_id, count=3)
    assert {label: row["status"] for label, row in rows.items()} == {
        "ana@example.com": "SENT",
        "bo@example.com": "SENT",
        "127.0.0.1": "SENT",
    }
    for recipient in RECIPIENTS:
        first, again = smtp.mails(run.run_id, recipient)
        assert first.message["Message-ID"] != again.message["Message-ID"]
        assert again.message["X-ReportFlow-Resend-Id"] == str(resend_id)
        assert again.message.get_body(("plain",)) is not None
        assert [part.get_filename() for part in again.message.iter_attachments()] == [
            Path(run.output_path or "").name
        ]
    original, resent = receiver.received
    assert original.headers["x-reportflow-delivery"] != resent.headers["x-reportflow-delivery"]
    assert len(await notification_rows(db, run.run_id)) == 4 + 3


async def test_a_resend_to_one_recipient_mails_only_them(
    smtp: SmtpServer,
    arrange_run: ArrangeRun,
    publish: Publish,
    client: httpx.AsyncClient,
    db: asyncpg.Connection,
) -> None:
    run = await arrange_run(RECIPIENTS)
    await publish(run.completed())
    await wait_for_final_rows(db, run.run_id, count=3)

    response = await client.post(
        f"/api/runs/{run.run_id}/resend", json={"recipients": ["cy@example.com"]}
    )

    assert response.status_code == 202, response.text
    resend_id = uuid.UUID(response.json()["resend_id"])
    rows = await _resend_rows(db, resend_id, count=1)
    assert rows["cy@example.com"]["status"] == "SENT"
    assert len(smtp.mails(run.run_id, "cy@example.com")) == 1
    assert len(smtp.mails(run.run_id)) == 3
    audit = await client.get("/api/audit", params={"limit": 20})
    assert any(
        entry["action"] == "run.resent" and entry["subject_id"] == str(run.run_id)
        for entry in audit.json()
    )


async def test_a_resend_is_sent_at_most_once_when_its_request_arrives_twice(
    smtp: SmtpServer,
    arrange_run: ArrangeRun,
    publish: Publish,
    broker: Broker,
    db: asyncpg.Connection,
) -> None:
    run = await arrange_run(["dee@example.com"])
    request = ResendRequested(run_id=run.run_id, resend_id=uuid.uuid4())

    await broker.publish(request)
    await broker.publish(request)

    rows = await _resend_rows(db, request.resend_id, count=1)
    assert rows["dee@example.com"]["attempts"] == 1
    assert len(smtp.mails(run.run_id, "dee@example.com")) == 1


async def test_a_run_without_a_file_cannot_be_resent(
    smtp: SmtpServer,
    arrange_run: ArrangeRun,
    client: httpx.AsyncClient,
    output_dir: Path,
) -> None:
    failed = await arrange_run(RECIPIENTS, status=RunStatus.FAILED)
    expired = await arrange_run(RECIPIENTS)
    Path(expired.output_path or "").unlink()

    for run in (failed, expired):
        response = await client.post(f"/api/runs/{run.run_id}/resend")
        assert response.status_code == 409, response.text


async def test_a_resend_to_a_refused_recipient_is_a_422_naming_it(
    arrange_run: ArrangeRun, client: httpx.AsyncClient
) -> None:
    run = await arrange_run(RECIPIENTS)
    response = await client.post(
        f"/api/runs/{run.run_id}/resend", json={"recipients": ["ok@example.com", "not an address"]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "recipients", 1]


async def test_a_resend_of_a_report_without_targets_is_refused_unless_recipients_are_named(
    arrange_run: ArrangeRun, client: httpx.AsyncClient
) -> None:
    run = await arrange_run([])

    to_nobody = await client.post(f"/api/runs/{run.run_id}/resend")
    to_someone = await client.post(
        f"/api/runs/{run.run_id}/resend", json={"recipients": ["ana@example.com"]}
    )

    assert to_nobody.status_code == 409, to_nobody.text
    assert "no recipients or channels" in to_nobody.text
    assert to_someone.status_code == 202, to_someone.text
