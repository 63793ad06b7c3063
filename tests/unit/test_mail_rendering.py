"""E-mail rendering: subjects, both parts, attachments, and headers that cannot be injected."""

import email
import email.policy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.finished_run import FinishedRun
from services.notifier.rendering import (
    OutputFile,
    RunNotice,
    build_message,
    header_safe,
    is_mailable_address,
    log_line,
    message_id,
    subject,
)
from shared.models import NotifyOn, RunStatus

NOW = datetime(2024, 3, 4, 9, 0, 5, tzinfo=UTC)
RUN_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
LIMIT = 1000


def _notice(**changes: object) -> RunNotice:
    """The sample notice, with `changes` to its run's fields or to its own."""
    run_fields: dict[str, object] = {
        "run_id": RUN_ID,
        "report_name": "Weekly Sales Summary",
        "report_description": "Sales <by region> & week",
        "notify_on": NotifyOn.ALWAYS,
        "recipients": ["ana@example.com"],
        "status": RunStatus.SUCCESS,
        "row_count": 150,
        "started_at": NOW - timedelta(minutes=2, seconds=5),
        "finished_at": NOW,
        "scheduled_for": NOW - timedelta(minutes=3),
        "error_message": None,
        "output_path": "/outputs/Weekly_Sales_Summary_20240304_085800.csv",
    }
    notice_fields: dict[str, object] = {
        "download_url": f"https://reports.example.com/api/runs/{RUN_ID}/download",
        "output": OutputFile("Weekly_Sales_Summary.csv", 12, b"a,b\n1,2\n"),
    }
    run_changes = {name: value for name, value in changes.items() if name in run_fields}
    own_changes = {name: value for name, value in changes.items() if name not in run_fields}
    run = FinishedRun(**{**run_fields, **run_changes})  # type: ignore[arg-type]
    return RunNotice(run, **{**notice_fields, **own_changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "[ReportFlow] Weekly Sales Summary — SUCCESS (150 rows)"),
        ({"row_count": 1}, "[ReportFlow] Weekly Sales Summary — SUCCESS (1 row)"),
        ({"row_count": 0}, "[ReportFlow] Weekly Sales Summary — SUCCESS (0 rows)"),
        (
            {"status": RunStatus.FAILED, "row_count": None},
            "[ReportFlow] Weekly Sales Summary — FAILED",
        ),
        (
            {"report_name": "A\r\nBcc: x@evil.test"},
            "[ReportFlow] A Bcc: x@evil.test — SUCCESS (150 rows)",
        ),
    ],
)
def test_subject_names_the_report_status_and_rows(
    changes: dict[str, object], expected: str
) -> None:
    assert subject(_notice(**changes).run) == expected


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("plain", "plain"),
        ("two\r\nlines", "two lines"),
        ("lf\nonly", "lf only"),
        ("tab\tand\x0bvt\x0cff", "tab and vt ff"),
        ("nul\x00del\x7fc1\x85", "nul del c1"),
        ("unicode\u2028line\u2029para", "unicode line para"),
        ("  spaced   out  ", "spaced out"),
        ("Ünïcödé — fine", "Ünïcödé — fine"),
    ],
)
def test_header_safe_leaves_one_line_of_text(raw: str, safe: str) -> None:
    assert header_safe(raw) == safe


def test_header_safe_bounds_the_length() -> None:
    assert len(header_safe("x" * 1000)) == 200


@pytest.mark.parametrize(
    ("address", "mailable"),
    [
        ("ana@example.com", True),
        ("ana.b+reports@sub.example.co.uk", True),
        ("ana@example.com\r\nBcc: evil@example.com", False),
        ("ana@example.com, evil@example.com", False),
        ("Ana <ana@example.com>", False),
        ("no-at-sign", False),
        ("@example.com", False),
        ("ana@", False),
    ],
)
def test_only_bare_addresses_are_mailable(address: str, mailable: bool) -> None:
    assert is_mailable_address(address) is mailable


def test_a_message_has_a_text_and_an_html_part_and_the_file() -> None:
    message = build_message(_notice(), "reportflow@example.com", "ana@example.com", LIMIT, NOW)

    assert message["To"] == "ana@example.com"
    assert message["From"] == "reportflow@example.com"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    text_content, html_content = text.get_content(), html.get_content()
    for expected in ("Weekly Sales Summary", "SUCCESS", "150", "2m 5s", "2024-03-04 08:57:05 UTC"):
        assert expected in text_content
        assert expected in html_content
    assert "Sales <by region> & week" in text_content
    assert "Sales &lt;by region&gt; &amp; week" in html_content
    assert f'href="https://reports.example.com/api/runs/{RUN_ID}/download"' in html_content
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "Weekly_Sales_Summary.csv"
    assert attachment.get_content_type() == "text/csv"


def test_a_failed_run_mail_carries_the_error_and_no_download_link() -> None:
    notice = _notice(status=RunStatus.FAILED, row_count=None, error_message="division by zero")
    message = build_message(notice, "reportflow@example.com", "ana@example.com", LIMIT, NOW)

    text = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text is not None
    assert html_part is not None
    assert "Error: division by zero" in text.get_content()
    assert "/download" not in text.get_content()
    assert "/download" not in html_part.get_content()


def test_a_file_over_the_limit_is_announced_not_attached() -> None:
    notice = _notice(output=OutputFile("big.csv", 5000, None))
    message = build_message(notice, "reportflow@example.com", "ana@example.com", LIMIT, NOW)

    assert list(message.iter_attachments()) == []
    text = message.get_body(("plain",))
    assert text is not None
    assert "larger than the attachment limit" in text.get_content()


def test_an_injected_name_or_description_adds_no_header() -> None:
    notice = _notice(
        report_name="Sales\r\nBcc: evil@example.com",
        report_description="x\nX-Injected: 1",
        output=OutputFile('a"\r\nX-File: 1.csv', 3, b"a\n"),
    )
    message = build_message(notice, "reportflow@example.com", "ana@example.com", LIMIT, NOW)

    reparsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    headers = {name.lower() for part in reparsed.walk() for name, _ in part.items()}
    assert not headers & {"bcc", "x-injected", "x-file"}
    assert [line for line in message.as_bytes().split(b"\n") if line.startswith(b"Bcc")] == []


def test_every_attempt_of_a_notification_has_the_same_message_id() -> None:
    first = message_id(RUN_ID, "ana@example.com", "reportflow@example.com")
    assert first == message_id(RUN_ID, "ana@example.com", "reportflow@example.com")
    assert first != message_id(RUN_ID, "bo@example.com", "reportflow@example.com")
    assert first.endswith("@example.com>")


def test_the_log_line_has_the_agreed_wording() -> None:
    assert log_line(_notice().run) == (
        "Report 'Weekly Sales Summary' completed successfully. Rows exported: 150. "
        "Output: Weekly_Sales_Summary_20240304_085800.csv"
    )
    failed = _notice(status=RunStatus.FAILED, error_message="division by zero")
    assert log_line(failed.run) == "Report 'Weekly Sales Summary' failed. Error: division by zero"
