"""A webhook retry waiting in its delay queue outlives the notifier that scheduled it: killed
mid-retry, the next notifier delivers it, with the same delivery id (at least once)."""

import uuid

import asyncpg

from tests.integration.notifier.conftest import (
    ArrangeRun,
    SealWebhook,
    notifier_env,
    wait_for_final_rows,
    wait_until,
)
from tests.support.environment import AMQP_URL
from tests.support.runs import publish_in
from tests.support.services import StartService
from tests.support.smtp_server import SmtpServer
from tests.support.webhook_receiver import WebhookReceiver

# Long enough for the kill to land while the retry waits in its delay queue.
RETRY_SECONDS = "4"


async def test_a_webhook_retry_is_delivered_by_the_next_notifier_after_a_kill(
    start_service: StartService,
    amqp_namespace: str,
    extra_namespaces: list[str],
    smtp: SmtpServer,
    receiver: WebhookReceiver,
    seal_webhook: SealWebhook,
    arrange_run: ArrangeRun,
    db: asyncpg.Connection,
) -> None:
    namespace = f"{amqp_namespace}-{uuid.uuid4().hex[:6]}"
    extra_namespaces.append(namespace)
    env = {
        **notifier_env(smtp),
        "AMQP_NAMESPACE": namespace,
        "NOTIFIER_RETRY_BASE_SECONDS": RETRY_SECONDS,
        "NOTIFIER_RETRY_MAX_SECONDS": RETRY_SECONDS,
    }
    doomed = start_service("notifier", **env)
    receiver.answer_next(500)
    run = await arrange_run([], channels=[seal_webhook(receiver.url(), "s" * 20)])

    await publish_in(AMQP_URL, namespace, run.completed())
    await wait_until(lambda: _deferred(db, run.run_id), "the first attempt to fail and be deferred")
    doomed.kill()
    start_service("notifier", **env)

    rows = await wait_for_final_rows(db, run.run_id, count=2)
    row = rows["127.0.0.1"]
    assert (row["status"], row["attempts"]) == ("SENT", 2)
    assert [request.answered for request in receiver.received] == [500, 200]
    assert {request.headers["x-reportflow-delivery"] for request in receiver.received} == {
        str(row["id"])
    }


async def _deferred(db: asyncpg.Connection, run_id: uuid.UUID) -> bool:
    return bool(
        await db.fetchval(
            "SELECT count(*) FROM notification_log WHERE run_id = $1 AND channel = 'WEBHOOK'"
            " AND attempts = 1 AND claimed_at IS NULL AND next_attempt_at IS NOT NULL",
            run_id,
        )
    )
