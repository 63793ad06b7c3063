"""An alert's notice as an e-mail: subject, plain text and safe headers (pure)."""

import hashlib
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from services.notifier.alert_ledger import ClaimedNotice
from services.notifier.rendering import header_safe
from shared.models import AlertKind

WHAT_HAPPENED = {
    AlertKind.RUN_FAILING: "the report's latest run failed",
    AlertKind.DELIVERY_FAILING: "a delivery of the report was given up",
    AlertKind.MISSED_SLOT: "a scheduled slot of the report produced no run",
    AlertKind.RUN_OVERDUE: "a run of the report is still running past its timeout",
    AlertKind.SCHEDULER_DOWN: "the scheduler has stopped writing its heartbeat",
    AlertKind.DEAD_LETTERS_GROWING: "a dead-letter queue is growing",
}
WHEN_IT_CLEARS = {
    AlertKind.RUN_FAILING: "a later run of the report succeeds",
    AlertKind.DELIVERY_FAILING: "a later delivery to the same target is sent",
    AlertKind.MISSED_SLOT: "a run for that slot or a later one appears",
    AlertKind.RUN_OVERDUE: "the run ends",
    AlertKind.SCHEDULER_DOWN: "a scheduler leads again and its heartbeat is fresh",
    AlertKind.DEAD_LETTERS_GROWING: "the dead-letter queue is emptied",
}
MAX_DETAIL_CHARS = 500


def alert_subject(notice: ClaimedNotice) -> str:
    about = f" — {header_safe(notice.report_name)}" if notice.report_name else ""
    return header_safe(f"[ReportFlow] alert: {notice.kind}{about}", 250)


def alert_text(notice: ClaimedNotice, public_base_url: str) -> str:
    lines = [
        f"ReportFlow noticed a problem: {WHAT_HAPPENED[notice.kind]}.",
        "",
        f"Alert: {notice.kind} ({notice.alert_id})",
    ]
    if notice.report_name is not None:
        lines.append(f"Report: {notice.report_name} ({notice.report_id})")
    if notice.target is not None:
        lines.append(f"Target: {notice.target}")
    lines.extend(
        f"{name}: {str(value)[:MAX_DETAIL_CHARS]}" for name, value in sorted(notice.details.items())
    )
    lines += [
        "",
        f"It is resolved when {WHEN_IT_CLEARS[notice.kind]}; you are told once per alert.",
        f"Open alerts: {public_base_url.rstrip('/')}/api/alerts?open=true",
    ]
    return "\n".join(lines) + "\n"


def alert_message(
    notice: ClaimedNotice, sender: str, recipient: str, public_base_url: str, now: datetime
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = alert_subject(notice)
    message["From"] = header_safe(sender)
    message["To"] = header_safe(recipient)
    message["Date"] = format_datetime(now)
    domain = re.sub(r"[^A-Za-z0-9.-]", "", sender.rpartition("@")[2]) or "reportflow.local"
    digest = hashlib.sha256(recipient.encode()).hexdigest()[:16]
    message["Message-ID"] = f"<alert.{notice.alert_id.hex}.{digest}@{domain}>"
    message["X-ReportFlow-Alert-Id"] = str(notice.alert_id)
    message["X-ReportFlow-Alert-Kind"] = str(notice.kind)
    message.set_content(alert_text(notice, public_base_url))
    return message
