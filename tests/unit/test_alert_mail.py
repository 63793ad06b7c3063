"""An alert's notice as a mail (one line per header, details as text), and when a notice that
failed is tried again: only when nobody got it and every failure was transient."""

import uuid
from datetime import UTC, datetime

import pytest

from services.notifier.alert_ledger import ClaimedNotice
from services.notifier.alert_mail import alert_message
from services.notifier.alert_notices import NoticeOutcome
from services.notifier.decisions import DeliveryFailed
from shared.models import AlertKind

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def notice(
    kind: AlertKind, report_name: str | None = "Sales\r\nBcc: x@evil.example"
) -> ClaimedNotice:
    report_id = None if report_name is None else uuid.uuid4()
    details = {"reason": "<b>division by zero</b>", "run_id": "r-1"}
    return ClaimedNotice(uuid.uuid4(), kind, report_id, report_name, None, None, details, 1)


def test_a_report_alert_names_the_report_on_one_header_line_and_says_when_it_clears() -> None:
    alert = notice(AlertKind.RUN_FAILING)
    message = alert_message(alert, "rf@example.com", "owner@example.com", "https://rf.example", NOW)
    assert message["Subject"] == "[ReportFlow] alert: run_failing — Sales Bcc: x@evil.example"
    assert message["X-ReportFlow-Alert-Id"] == str(alert.alert_id)
    assert message["X-ReportFlow-Alert-Kind"] == "run_failing"
    assert message["Message-ID"].endswith("@example.com>")
    text = message.get_content()
    assert "reason: <b>division by zero</b>" in text
    assert "a later run of the report succeeds" in text
    assert "https://rf.example/api/alerts?open=true" in text


def test_a_system_alert_names_no_report() -> None:
    message = alert_message(
        notice(AlertKind.SCHEDULER_DOWN, None), "rf@example.com", "admin@example.com", "x", NOW
    )
    assert message["Subject"] == "[ReportFlow] alert: scheduler_down"
    assert "Report:" not in message.get_content()


def test_every_kind_says_what_happened_and_when_it_clears() -> None:
    for kind in AlertKind:
        text = alert_message(
            notice(kind), "rf@example.com", "a@example.com", "x", NOW
        ).get_content()
        assert f"Alert: {kind}" in text
        assert "It is resolved when" in text


BUSY = ("busy@example.com", DeliveryFailed("451 try later", transient=True))
GONE = ("gone@example.com", DeliveryFailed("550 no such user", transient=False))


@pytest.mark.parametrize(
    ("sent", "failed", "retry_later", "summary"),
    [
        (["a@example.com"], [], False, None),
        ([], [BUSY], True, "busy@example.com: 451 try later"),
        (
            [],
            [BUSY, GONE],
            False,
            "busy@example.com: 451 try later; gone@example.com: 550 no such user",
        ),
        (["a@example.com"], [BUSY], False, "busy@example.com: 451 try later"),
        ([], [], False, "nobody to tell: no active owner or admin with an allowed address"),
    ],
)
def test_a_notice_is_tried_again_only_when_nobody_got_it_and_it_may_work_later(
    sent: list[str],
    failed: list[tuple[str, DeliveryFailed]],
    retry_later: bool,
    summary: str | None,
) -> None:
    outcome = NoticeOutcome(sent, failed)
    assert outcome.retry_later is retry_later
    assert outcome.summary() == summary
