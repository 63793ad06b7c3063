"""Slack through a real notifier process whose SLACK_API_BASE_URL is a local stand-in for
Slack's Web API: the file uploaded where it fits, a link otherwise, an incoming webhook, and
an upload whose outcome is unknown never repeated."""

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

import asyncpg
import pytest
from pydantic import SecretStr

from shared.channel_secrets import ChannelSealer
from tests.integration.notifier.conftest import (
    ArrangedRun,
    ArrangeRun,
    notifier_env,
    wait_for_final_rows,
)
from tests.support.environment import AMQP_URL
from tests.support.runs import publish_in
from tests.support.services import ServiceProcess, StartService
from tests.support.smtp_server import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

TOKEN = "xoxb-0000-test-token-7d1c"
CHANNEL = "C0123TEST"
GET_URL = "/api/files.getUploadURLExternal"
COMPLETE = "/api/files.completeUploadExternal"
POST_MESSAGE = "/api/chat.postMessage"
UPLOAD = "/upload/F42"


@pytest.fixture(scope="module")
async def slack_api() -> AsyncIterator[WebhookReceiver]:
    """A stand-in for Slack's Web API (and its upload host), for this module's notifier."""
    server = WebhookReceiver()
    await server.start()
    yield server
    await server.stop()


@dataclass(frozen=True)
class SlackNotifier:
    namespace: str
    process: ServiceProcess


@pytest.fixture(scope="module")
def slack_notifier(
    start_service: StartService,
    amqp_namespace: str,
    extra_namespaces: list[str],
    smtp_server: SmtpServer,
    slack_api: WebhookReceiver,
) -> SlackNotifier:
    """Starts a notifier of this module's own, with Slack's API at the stand-in."""
    namespace = f"{amqp_namespace}-{uuid.uuid4().hex[:6]}"
    extra_namespaces.append(namespace)
    process = start_service(
        "notifier",
        **notifier_env(smtp_server),
        AMQP_NAMESPACE=namespace,
        SLACK_API_BASE_URL=slack_api.url("/api/"),
    )
    return SlackNotifier(namespace, process)


@pytest.fixture
def slack(slack_api: WebhookReceiver) -> WebhookReceiver:
    """The stand-in, emptied, answering the Web API methods the notifier calls."""
    slack_api.reset()
    slack_api.hang_up.clear()
    slack_api.json_answers.clear()
    slack_api.json_answers.update(
        {
            GET_URL: {"ok": True, "upload_url": slack_api.url(UPLOAD), "file_id": "F42"},
            COMPLETE: {"ok": True, "files": [{"id": "F42"}]},
            POST_MESSAGE: {"ok": True, "ts": "1.2"},
        }
    )
    return slack_api


Deliver = Callable[..., Awaitable[ArrangedRun]]


@pytest.fixture
def deliver(
    slack_notifier: SlackNotifier,
    smtp: SmtpServer,
    slack: WebhookReceiver,
    channel_secrets_key: str,
    arrange_run: ArrangeRun,
) -> Deliver:
    """Arranges a run whose report has one Slack channel; publishes its run.completed to this
    module's notifier."""
    sealer = ChannelSealer(SecretStr(channel_secrets_key))

    async def arrange_and_publish(settings: dict[str, str], **run_fields: object) -> ArrangedRun:
        label = settings.get("channel", "127.0.0.1")
        channel = {"type": "slack", "label": label, "sealed": sealer.seal(settings)}
        run = await arrange_run([], channels=[channel], **run_fields)
        await publish_in(AMQP_URL, slack_notifier.namespace, run.completed())
        return run

    return arrange_and_publish


def _form(body: bytes) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(body.decode()).items()}


async def test_a_small_file_is_uploaded_to_the_channel(
    slack: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection
) -> None:
    run = await deliver({"token": TOKEN, "channel": CHANNEL})

    rows = await wait_for_final_rows(db, run.run_id, count=2)

    assert (rows[CHANNEL]["channel"], rows[CHANNEL]["status"]) == ("SLACK", "SENT"), rows[CHANNEL][
        "error_message"
    ]
    (granted,) = slack.requests_to(GET_URL)
    assert granted.headers["authorization"] == f"Bearer {TOKEN}"
    assert _form(granted.body)["length"] == str(len(b"region,total\nnorth,150\n"))
    (upload,) = slack.requests_to(UPLOAD)
    assert upload.body == b"region,total\nnorth,150\n"
    (complete,) = slack.requests_to(COMPLETE)
    shared = _form(complete.body)
    assert shared["channel_id"] == CHANNEL
    assert json.loads(shared["files"])[0]["id"] == "F42"
    assert run.report_name in shared["initial_comment"]
    assert TOKEN not in json.dumps([dict(row) for row in rows.values()], default=str)


async def test_a_file_too_large_to_attach_is_linked_in_a_message(
    slack: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection
) -> None:
    run = await deliver({"token": TOKEN, "channel": CHANNEL}, output=b"x" * 5000)

    rows = await wait_for_final_rows(db, run.run_id, count=2)

    assert rows[CHANNEL]["status"] == "SENT"
    assert slack.requests_to(GET_URL) == []
    (message,) = slack.requests_to(POST_MESSAGE)
    text = json.loads(message.body)["text"]
    assert f"/api/runs/{run.run_id}/signed-download?expires=" in text
    assert "|Download the output>" in text


async def test_an_upload_whose_outcome_is_unknown_is_not_repeated(
    slack: WebhookReceiver,
    deliver: Deliver,
    db: asyncpg.Connection,
    slack_notifier: SlackNotifier,
) -> None:
    slack.hang_up.add(COMPLETE)
    run = await deliver({"token": TOKEN, "channel": CHANNEL})

    rows = await wait_for_final_rows(db, run.run_id, count=2)

    row = rows[CHANNEL]
    assert (row["status"], row["attempts"]) == ("FAILED", 1)
    assert row["error_message"].startswith("outcome unknown")
    assert len(slack.requests_to(COMPLETE)) == 1
    assert TOKEN not in slack_notifier.process.log_text()


async def test_a_slack_refusal_fails_at_once(
    slack: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection
) -> None:
    slack.json_answers[GET_URL] = {"ok": False, "error": "channel_not_found"}
    run = await deliver({"token": TOKEN, "channel": CHANNEL})

    rows = await wait_for_final_rows(db, run.run_id, count=2)

    assert (rows[CHANNEL]["status"], rows[CHANNEL]["attempts"]) == ("FAILED", 1)
    assert "channel_not_found" in rows[CHANNEL]["error_message"]


async def test_an_incoming_webhook_gets_the_message(
    slack: WebhookReceiver, deliver: Deliver, db: asyncpg.Connection
) -> None:
    run = await deliver({"webhook_url": slack.url("/services/T0/B0/secret-path")})

    rows = await wait_for_final_rows(db, run.run_id, count=2)

    assert rows["127.0.0.1"]["status"] == "SENT"
    (posted,) = slack.requests_to("/services/T0/B0/secret-path")
    assert run.report_name in json.loads(posted.body)["text"]
