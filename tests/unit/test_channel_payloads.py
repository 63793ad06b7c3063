"""What a webhook and a Teams channel are sent (signed JSON, an Adaptive Card), and which
ledger rows a delivery plans: pure, no servers."""

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

from services.notifier.finished_run import FinishedRun
from services.notifier.rendering import OutputFile, RunNotice
from services.notifier.targets import plan_delivery
from services.notifier.teams_card import teams_body
from services.notifier.webhook_payload import signature, webhook_body, webhook_headers
from shared.models import NotificationChannel, NotificationStatus, NotifyOn, RunStatus

RUN_ID = uuid.uuid4()
DELIVERY_ID = uuid.uuid4()
REPORT_ID = uuid.uuid4()
HOOK = {"type": "webhook", "label": "hooks.example.com", "sealed": "x"}
TEAMS = {"type": "teams", "label": "prod.workflows.example.com", "sealed": "y"}


def _run(**changes: object) -> FinishedRun:
    fields: dict[str, object] = {
        "run_id": RUN_ID,
        "report_name": 'Sales <b>"weekly"</b>',
        "report_description": None,
        "notify_on": NotifyOn.ALWAYS,
        "recipients": ["ana@example.com", "ana@example.com ", "not-an-address"],
        "status": RunStatus.SUCCESS,
        "row_count": 3,
        "started_at": datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
        "finished_at": datetime(2026, 11, 30, 7, 1, tzinfo=UTC),
        "scheduled_for": datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
        "error_message": None,
        "output_path": "sales.csv",
        "report_id": REPORT_ID,
        "byte_size": 42,
        "sha256": "ab" * 32,
        "channels": [HOOK, TEAMS, {"type": "pigeon", "label": "roof"}],
    }
    return FinishedRun(**{**fields, **changes})  # type: ignore[arg-type]


def _notice(run: FinishedRun | None = None) -> RunNotice:
    output = OutputFile("sales.csv", 42, b"a,b\n")
    return RunNotice(run or _run(), f"https://r.example.com/api/runs/{RUN_ID}/download", output)


def test_the_signature_is_the_hmac_of_the_exact_body() -> None:
    body = webhook_body(_notice(), DELIVERY_ID, None)
    headers = webhook_headers(body, "k" * 20, DELIVERY_ID)
    expected = hmac.new(b"k" * 20, body, hashlib.sha256).hexdigest()
    assert headers["X-ReportFlow-Signature"] == f"sha256={expected}"
    assert headers["X-ReportFlow-Delivery"] == str(DELIVERY_ID)
    assert signature("other", body) != headers["X-ReportFlow-Signature"]


def test_every_attempt_of_a_delivery_sends_the_same_bytes() -> None:
    assert webhook_body(_notice(), DELIVERY_ID, None) == webhook_body(_notice(), DELIVERY_ID, None)


def test_the_webhook_body_describes_the_run() -> None:
    document = json.loads(webhook_body(_notice(), DELIVERY_ID, None))
    assert document["run"] == {
        "id": str(RUN_ID),
        "status": "SUCCESS",
        "scheduled_for": "2026-11-30T07:00:00+00:00",
        "finished_at": "2026-11-30T07:01:00+00:00",
        "row_count": 3,
        "byte_size": 42,
        "sha256": "ab" * 32,
        "error": None,
    }
    assert document["download_url"] == f"https://r.example.com/api/runs/{RUN_ID}/download"


def test_a_run_without_a_file_has_no_download_link() -> None:
    notice = RunNotice(_run(status=RunStatus.FAILED), "https://r.example.com/x", None)
    assert json.loads(webhook_body(notice, DELIVERY_ID, None))["download_url"] is None
    assert "actions" not in json.loads(teams_body(notice))["attachments"][0]["content"]


def test_the_teams_card_carries_the_report_name_as_text() -> None:
    card = json.loads(teams_body(_notice()))["attachments"][0]["content"]
    assert card["body"][0]["text"] == 'Sales <b>"weekly"</b> — SUCCESS'


def test_a_delivery_plans_one_row_per_distinct_target() -> None:
    plan = plan_delivery(_run(), None, None, lambda _: True)
    sent = {(key.channel, key.recipient) for key in plan.to_send}
    assert sent == {
        (NotificationChannel.EMAIL, "ana@example.com"),
        (NotificationChannel.WEBHOOK, "hooks.example.com"),
        (NotificationChannel.TEAMS, "prod.workflows.example.com"),
    }
    failed = [group for group in plan.groups if group.status == NotificationStatus.FAILED]
    assert [key.recipient for key in failed[0].keys] == ["not-an-address"]


def test_a_resend_naming_recipients_mails_only_them_and_ignores_notify_on() -> None:
    resend_id = uuid.uuid4()
    run = _run(notify_on=NotifyOn.NEVER)
    plan = plan_delivery(run, resend_id, ["cy@example.com"], lambda _: True)
    assert [(key.recipient, key.resend_id) for key in plan.to_send] == [
        ("cy@example.com", resend_id)
    ]


def test_notify_on_skips_every_channel() -> None:
    plan = plan_delivery(_run(notify_on=NotifyOn.FAILURE), None, None, lambda _: True)
    assert plan.to_send == []
    (skipped,) = plan.groups
    assert skipped.status == NotificationStatus.SKIPPED
    assert len(skipped.keys) == 4
