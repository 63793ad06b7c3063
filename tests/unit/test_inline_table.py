"""The first rows in the mail (inline_rows): an escaped HTML table with inline styles and an
aligned plain-text table, both parts of the same message, the file still attached."""

import email
import email.policy
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage

from services.notifier.finished_run import FinishedRun
from services.notifier.inline_table import html_table, text_table
from services.notifier.rendering import OutputFile, RunNotice, build_message
from services.notifier.slack_message import MAX_TEXT_CHARS, slack_text
from shared.models import NotifyOn, RunStatus

NOW = datetime(2024, 3, 4, 9, 0, 5, tzinfo=UTC)
KEPT = {
    "columns": ["id", "note"],
    "rows": [["1", "<script>alert('x')</script>"], ["2", 'a & "b"\nnext line'], ["3", None]],
    "cut": False,
}


def _run(inline_rows: int = 3, status: RunStatus = RunStatus.SUCCESS) -> FinishedRun:
    return FinishedRun(
        uuid.uuid4(),
        "Weekly",
        None,
        NotifyOn.ALWAYS,
        ["ana@example.com"],
        status,
        10,
        NOW,
        NOW,
        None,
        None,
        "/outputs/Weekly.csv",
        inline_rows=inline_rows,
        first_rows=KEPT,
    )


def test_the_html_table_escapes_every_value_and_styles_inline() -> None:
    table = html_table(_run())
    assert "<script>" not in table
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in table
    assert "a &amp; &quot;b&quot;<br>next line" in table
    assert "<th " in table
    assert "<style" not in table
    assert "class=" not in table
    assert "The first 3 of 10 rows:" in table


def test_the_text_table_aligns_the_columns() -> None:
    assert text_table(_run()).splitlines() == [
        "The first 3 of 10 rows:",
        "",
        "id | note",
        "---+----------------------------",
        "1  | <script>alert('x')</script>",
        '2  | a & "b" ↵ next line',
        "3  |",
    ]


def test_only_inline_rows_are_shown_and_none_when_off_or_failed() -> None:
    assert text_table(_run(inline_rows=1)).splitlines()[-1] == "1  | <script>alert('x')</script>"
    assert html_table(_run(inline_rows=0)) == ""
    assert text_table(_run(status=RunStatus.FAILED)) == ""
    no_rows = replace(_run(), row_count=0, first_rows={**KEPT, "rows": []})
    assert (html_table(no_rows), text_table(no_rows)) == ("", "")


def test_both_parts_of_the_mail_hold_the_table_and_the_file_stays_attached() -> None:
    notice = RunNotice(_run(), "https://x/download", OutputFile("Weekly.csv", 3, b"a\n"))
    raw = build_message(notice, "rf@example.com", "ana@example.com", 1000, NOW).as_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "1  | <script>alert('x')</script>" in text.get_content()
    assert "&lt;script&gt;" in html.get_content()
    assert [part.get_filename() for part in message.iter_attachments()] == ["Weekly.csv"]


def test_a_slack_message_shows_the_rows_as_an_escaped_code_block_within_its_limit() -> None:
    notice = RunNotice(_run(), "https://x/download", OutputFile("Weekly.csv", 3, b"a\n"))
    text = slack_text(notice)
    assert text.endswith("3  |\n```")
    assert "1  | &lt;script&gt;alert('x')&lt;/script&gt;" in text
    many = {**KEPT, "rows": [[str(index), "y" * 50] for index in range(100)]}
    long = slack_text(RunNotice(replace(_run(100), first_rows=many), "https://x/d", None))
    assert len(long) <= MAX_TEXT_CHARS
    assert long.endswith("\n```")
