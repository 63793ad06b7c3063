"""Webhooks through the real notifier process: signed, retried with one delivery id, refused
when they point where they may not, and never leaking their URL or secret."""

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from pydantic import SecretStr

from shared.channel_secrets import ChannelSealer
from shared.events import RunCompleted
from tests.integration.notifier.conftest import (
    ArrangedRun,
    ArrangeRun,
    SealWebhook,
    wait_for_final_rows,
)
from tests.support.services import ServiceProcess
from tests.support.smtp_server import SmtpServer
from tests.support.webhook_receiver import ReceivedRequest, WebhookReceiver

Publish = Callable[[RunCompleted], Awaitable[None]]
SECRET = "s3cret-signing-key-for-tests"
LABEL = "127.0.0.1"


Deliver = Callable[[str], Awaitable[ArrangedRun]]


@pytest.fixture
def deliver(
    smtp: SmtpServer, seal_webhook: SealWebhook, arrange_run: ArrangeRun, publish: Publish
) -> Deliver:
    """Arranges a finished run whose report has one webhook to `url`; publishes its event."""

    async def arrange_and_publish(url: str) -> ArrangedRun:
        run = await arrange_run([], channels=[seal_webhook(url, SECRET)])
        await publish(run.completed())
        return run

    return arrange_and_publish


def _signed_correctly(request: ReceivedRequest, secret: str = SECRET) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["x-reportflow-signature"], expected)


async def test_a_webhook_gets_the_run_as_signed_json(
    receiver: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection
) -> None:
    run = await deliver(receiver.url())

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    row = rows[LABEL]
    assert (row["channel"], row["status"], row["attempts"]) == ("WEBHOOK", "SENT", 1)
    (request,) = receiver.received
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert _signed_correctly(request)
    assert request.headers["x-reportflow-delivery"] == str(row["id"])
    document = json.loads(request.body)
    assert document["delivery_id"] == str(row["id"])
    assert document["report"] == {"id": str(run.report_id), "name": run.report_name}
    assert document["run"]["id"] == str(run.run_id)
    assert document["run"]["status"] == "SUCCESS"
    assert document["run"]["row_count"] == 150
    assert document["run"]["scheduled_for"] is not None
    assert f"/api/runs/{run.run_id}/signed-download?expires=" in document["download_url"]


async def test_a_webhook_answered_500_is_retried_with_the_same_delivery_id_until_accepted(
    receiver: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection
) -> None:
    receiver.answer_next(500, 503)
    run = await deliver(receiver.url())

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    assert (rows[LABEL]["status"], rows[LABEL]["attempts"]) == ("SENT", 3)
    assert [request.answered for request in receiver.received] == [500, 503, 200]
    assert {request.headers["x-reportflow-delivery"] for request in receiver.received} == {
        str(rows[LABEL]["id"])
    }
    # The same document each time, but for its download link, signed afresh at each attempt.
    documents = [json.loads(request.body) for request in receiver.received]
    assert (
        len({json.dumps({**doc, "download_url": None}, sort_keys=True) for doc in documents}) == 1
    )
    assert all(_signed_correctly(request) for request in receiver.received)


async def test_a_webhook_answered_400_fails_at_once_and_is_not_retried(
    receiver: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection
) -> None:
    receiver.answer_next(400)
    run = await deliver(receiver.url())

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    row = rows[LABEL]
    assert (row["status"], row["attempts"]) == ("FAILED", 1)
    assert row["error_message"].startswith("HTTP 400")
    assert len(receiver.received) == 1


async def test_a_webhook_to_an_address_outside_the_allow_list_is_refused_at_send(
    receiver: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection
) -> None:
    # Saved behind the api's back: 127.0.0.2 is loopback, and only 127.0.0.1 is listed.
    run = await deliver(f"https://127.0.0.2:{receiver.port}/hook")

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    row = rows["127.0.0.2"]
    assert (row["status"], row["attempts"]) == ("FAILED", 1)
    assert "refused" in row["error_message"]
    assert "loopback" in row["error_message"]
    assert receiver.received == []


async def test_a_decimal_form_of_a_refused_address_is_refused_at_send(
    receiver: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection
) -> None:
    # https, so the scheme is fine; 2130706434 is how a resolver reads 127.0.0.2.
    run = await deliver(f"https://2130706434:{receiver.port}/hook")

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    row = rows["2130706434"]
    assert row["status"] == "FAILED"
    assert "refused" in row["error_message"]
    assert receiver.received == []


async def test_webhook_urls_and_secrets_reach_neither_the_ledger_nor_the_log(
    receiver: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection, notifier: ServiceProcess
) -> None:
    path = "/hook/path-token-0b7e5d"
    receiver.answer_next(503)
    run = await deliver(receiver.url(path))

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    assert rows[LABEL]["status"] == "SENT"
    ledger = json.dumps([dict(row) for row in rows.values()], default=str)
    log = notifier.log_text()
    for secret in (SECRET, path):
        assert secret not in ledger
        assert secret not in log


async def test_a_webhook_whose_notifier_died_mid_post_is_sent_again_with_its_delivery_id(
    smtp: SmtpServer,
    receiver: WebhookReceiver,
    seal_webhook: SealWebhook,
    arrange_run: ArrangeRun,
    notifier: ServiceProcess,
    db: asyncpg.Connection,
) -> None:
    run = await arrange_run([], channels=[seal_webhook(receiver.url(), SECRET)])
    # What a notifier killed during its first POST leaves: the LOG row, and the webhook's row
    # claimed long ago.
    await db.execute(
        "INSERT INTO notification_log (id, run_id, channel, recipient, status, attempts,"
        " sent_at) VALUES (gen_random_uuid(), $1, 'LOG', 'system', 'SENT', 1, now())",
        run.run_id,
    )
    row_id = await db.fetchval(
        "INSERT INTO notification_log (id, run_id, channel, recipient, status, attempts,"
        " claimed_at) VALUES (gen_random_uuid(), $1, 'WEBHOOK', $2, 'PENDING', 1,"
        " now() - interval '1 hour') RETURNING id",
        run.run_id,
        LABEL,
    )

    rows = await wait_for_final_rows(db, run.run_id, count=2)

    assert (rows[LABEL]["status"], rows[LABEL]["attempts"]) == ("SENT", 2)
    (request,) = receiver.received
    assert request.headers["x-reportflow-delivery"] == str(row_id)
    assert _signed_correctly(request)


async def test_a_teams_channel_gets_an_adaptive_card(
    smtp: SmtpServer,
    receiver: WebhookReceiver,
    channel_secrets_key: str,
    arrange_run: ArrangeRun,
    publish: Publish,
    db: asyncpg.Connection,
) -> None:
    sealed = ChannelSealer(SecretStr(channel_secrets_key)).seal({"url": receiver.url()})
    teams = {"type": "teams", "label": LABEL, "sealed": sealed}
    run = await arrange_run([], channels=[teams])

    await publish(run.completed())

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    assert (rows[LABEL]["channel"], rows[LABEL]["status"]) == ("TEAMS", "SENT")
    (request,) = receiver.received
    assert "x-reportflow-signature" not in request.headers
    message = json.loads(request.body)
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["text"] == f"{run.report_name} — SUCCESS"
    facts = {fact["title"]: fact["value"] for fact in card["body"][1]["facts"]}
    assert facts["Rows"] == "150"
    assert f"/api/runs/{run.run_id}/signed-download?expires=" in card["actions"][0]["url"]
