"""A report's subject and body templates in its mail: rendered for the run, the body escaped in
the HTML part, and the default (with a recorded problem) when a template cannot render."""

import email
import email.policy
import json
import uuid
from datetime import UTC, datetime

from services.notifier.finished_run import FinishedRun
from services.notifier.rendering import OutputFile, RunNotice, build_message, log_line
from services.notifier.slack_message import slack_text
from services.notifier.teams_card import teams_body
from services.notifier.templated_message import templated_message, with_template_problems
from services.notifier.webhook_payload import webhook_body
from shared.models import NotifyOn, RunStatus

# Monday 2026-11-30 07:00 in Berlin: last week began on 2026-11-23 (ISO week 48).
SLOT = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _run(**templates: str | None) -> FinishedRun:
    return FinishedRun(
        uuid.uuid4(),
        "Sales",
        None,
        NotifyOn.ALWAYS,
        ["ana@example.com"],
        RunStatus.SUCCESS,
        12,
        SLOT,
        SLOT,
        SLOT,
        None,
        "/outputs/sales.csv",
        timezone="Europe/Berlin",
        parameters={"region": "<EU>"},
        **templates,  # type: ignore[arg-type]
    )


def _mail(run: FinishedRun) -> email.message.EmailMessage:
    notice = RunNotice(
        run,
        "https://reports.example.com/d",
        OutputFile("sales.csv", 4, b"a\n1\n"),
        templated_message(run),
    )
    message = build_message(notice, "rf@example.com", "ana@example.com", 1000, SLOT)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def _part(message: email.message.EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def test_the_subject_and_body_come_from_the_templates() -> None:
    mail = _mail(
        _run(
            subject_template="Sales week {{ macros.last_week_start | date('%V') }}\r\nBcc: x@y",
            body_template="{{ rows }} rows for {{ parameters.region }}",
        )
    )
    assert mail["Subject"] == "Sales week 48 Bcc: x@y"
    assert mail["Bcc"] is None
    assert _part(mail, "plain").startswith("12 rows for <EU>\n")
    assert "https://reports.example.com/d" in _part(mail, "plain")
    html_part = _part(mail, "html")
    assert "12 rows for &lt;EU&gt;" in html_part
    assert "<EU>" not in html_part


def test_a_template_failing_at_delivery_falls_back_and_says_so() -> None:
    run = _run(subject_template="{{ rows + none }}", body_template="{{ error + 1 }}")
    mail = _mail(run)
    assert mail["Subject"].startswith("[ReportFlow] Sales")
    assert "Rows: 12" in _part(mail, "plain")
    line = with_template_problems(log_line(run), run)
    assert "subject_template could not be rendered" in line
    assert "body_template could not be rendered" in line


def test_without_templates_the_mail_is_unchanged() -> None:
    run = _run()
    assert templated_message(run).problems == ()
    assert with_template_problems(log_line(run), run) == log_line(run)
    assert _mail(run)["Subject"].startswith("[ReportFlow] Sales")


def test_webhooks_slack_and_teams_carry_the_rendered_subject() -> None:
    run = _run(subject_template="Sales {{ rows }}")
    notice = RunNotice(run, "https://reports.example.com/d", None, templated_message(run))
    assert json.loads(webhook_body(notice, uuid.uuid4(), None))["subject"] == "Sales 12"
    assert slack_text(notice).startswith("*Sales 12*")
    assert b'"text":"Sales 12"' in teams_body(notice)
