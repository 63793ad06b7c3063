"""E-mail rendering: subject, plain-text and HTML parts, attachment and safe headers (pure)."""

import hashlib
import html
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from services.notifier.finished_run import FinishedRun
from services.notifier.inline_table import html_table, text_table
from services.notifier.templated_message import TemplatedMessage
from shared.models import RunStatus
from shared.output_files import output_file_name, output_media_type

MAX_HEADER_CHARS = 200
# C0/C1 controls, DEL and the Unicode line and paragraph separators: anything a mail header
# parser might take for a line break (CVE-2024-6923 is unfixed in this Python).
_UNSAFE_IN_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class OutputFile:
    filename: str
    size: int
    # None when the file is larger than the attachment limit: the mail links to it instead.
    content: bytes | None


@dataclass(frozen=True)
class RunNotice:
    """What a mail says about one finished run."""

    run: FinishedRun
    download_url: str
    output: OutputFile | None = None
    # The report's subject and body templates rendered for this run (None: the default).
    templated: TemplatedMessage = field(default_factory=TemplatedMessage)


def header_safe(value: str, max_chars: int = MAX_HEADER_CHARS) -> str:
    """One line of text: control characters become spaces, runs of spaces collapse."""
    return " ".join(_UNSAFE_IN_HEADER.sub(" ", value).split())[:max_chars]


def is_mailable_address(address: str) -> bool:
    """A bare `local@domain` with nothing that could end a header line or start another."""
    local, at, domain = address.rpartition("@")
    return (
        bool(at and local and domain)
        and header_safe(address, 254) == address
        and (" " not in address and "," not in address and "<" not in address)
    )


def log_line(run: FinishedRun) -> str:
    if run.status == RunStatus.SUCCESS:
        # The run's notifications are shown by the API: the file's name, not the server's path.
        output = output_file_name(run.output_path) if run.output_path else None
        return (
            f"Report '{run.report_name}' completed successfully. "
            f"Rows exported: {run.row_count}. Output: {output}"
        )
    if run.status == RunStatus.CANCELLED:
        return f"Report '{run.report_name}' was cancelled. {run.error_message or ''}".rstrip()
    if run.status == RunStatus.SKIPPED:
        return f"Report '{run.report_name}' was skipped: {run.error_message}"
    return f"Report '{run.report_name}' failed. Error: {run.error_message}"


def _rows(count: int | None) -> str:
    return "unknown" if count is None else f"{count} row" + ("" if count == 1 else "s")


def subject(run: FinishedRun) -> str:
    outcome = f"{run.status} ({_rows(run.row_count)})"
    if run.status != RunStatus.SUCCESS:
        outcome = str(run.status)
    return header_safe(f"[ReportFlow] {header_safe(run.report_name)} — {outcome}", 250)


def _when(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _duration(run: FinishedRun) -> str:
    if run.started_at is None or run.finished_at is None:
        return "—"
    seconds = max(0, round((run.finished_at - run.started_at).total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m {seconds}s" if hours else f"{minutes}m {seconds}s"


def _file_note(notice: RunNotice, max_attachment_bytes: int) -> str:
    output = notice.output
    if output is None:
        return "No output file is available for this run."
    if output.content is None:
        return (
            f"The output file ({output.size:,} bytes) is larger than the attachment limit "
            f"({max_attachment_bytes:,} bytes), so it is not attached; use the download link."
        )
    return f"The output file {output.filename} is attached."


def facts(notice: RunNotice) -> list[tuple[str, str]]:
    """The report's facts as (label, value) rows, shared by both parts."""
    run = notice.run
    rows = [
        ("Report", header_safe(run.report_name)),
        ("Description", run.report_description or "—"),
        ("Status", str(run.status)),
        ("Rows", "—" if run.row_count is None else str(run.row_count)),
        ("Duration", _duration(run)),
        ("Scheduled for", _when(run.scheduled_for) if run.scheduled_for else "manual run"),
        ("Finished", _when(run.finished_at)),
    ]
    if run.status != RunStatus.SUCCESS:
        rows.append(("Error", run.error_message or "—"))
    if _has_download(notice):
        rows.append(("Download", notice.download_url))
    return rows


def _has_download(notice: RunNotice) -> bool:
    """A failed run has no file: a link would only answer 409."""
    return notice.run.status == RunStatus.SUCCESS


def _summary_lines(notice: RunNotice) -> list[str]:
    """The templated body (and the download link), or the run's facts."""
    if notice.templated.body is None:
        return [f"{label}: {value}" for label, value in facts(notice)]
    download = [f"Download: {notice.download_url}"] if _has_download(notice) else []
    return [notice.templated.body, "", *download]


def text_body(notice: RunNotice, max_attachment_bytes: int) -> str:
    lines = _summary_lines(notice)
    table = text_table(notice.run)
    return "\n".join(
        [*lines, "", *([table] if table else []), _file_note(notice, max_attachment_bytes), ""]
    )


def html_body(notice: RunNotice, max_attachment_bytes: int) -> str:
    rows = "".join(
        f"<tr><th align='left'>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
        for label, value in facts(notice)
        if label != "Download"
    )
    summary = f"<table>{rows}</table>"
    if notice.templated.body is not None:
        summary = f"<div style='white-space:pre-wrap'>{html.escape(notice.templated.body)}</div>"
    link = html.escape(notice.download_url, quote=True)
    download = f'<p><a href="{link}">Download the output</a></p>' if _has_download(notice) else ""
    return (
        f"<html><body><h2>{html.escape(header_safe(notice.run.report_name))}</h2>"
        f"{summary}{html_table(notice.run)}"
        f"{download}<p>{html.escape(_file_note(notice, max_attachment_bytes))}</p></body></html>"
    )


def message_id(
    run_id: uuid.UUID, recipient: str, sender: str, resend_id: uuid.UUID | None = None
) -> str:
    """The same for every attempt of one notification, so a mail client can drop a duplicate;
    a resend is a new message, with an id of its own."""
    domain = re.sub(r"[^A-Za-z0-9.-]", "", sender.rpartition("@")[2]) or "reportflow.local"
    digest = hashlib.sha256(recipient.encode()).hexdigest()[:16]
    resend = "" if resend_id is None else f".resend-{resend_id.hex}"
    return f"<{run_id.hex}.{digest}{resend}@{domain}>"


def build_message(
    notice: RunNotice,
    sender: str,
    recipient: str,
    max_attachment_bytes: int,
    now: datetime,
    resend_id: uuid.UUID | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = header_safe(notice.templated.subject or subject(notice.run), 250)
    message["From"] = header_safe(sender)
    message["To"] = header_safe(recipient)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(notice.run.run_id, recipient, sender, resend_id)
    message["X-ReportFlow-Run-Id"] = str(notice.run.run_id)
    if resend_id is not None:
        message["X-ReportFlow-Resend-Id"] = str(resend_id)
    message.set_content(text_body(notice, max_attachment_bytes))
    message.add_alternative(html_body(notice, max_attachment_bytes), subtype="html")
    if notice.output is not None and notice.output.content is not None:
        filename = header_safe(notice.output.filename) or "report"
        content_type = output_media_type(filename)
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(
            notice.output.content, maintype=maintype, subtype=subtype, filename=filename
        )
    return message
