"""A webhook delivery's JSON body and headers, signed with the target's secret (pure)."""

import hashlib
import hmac
import json
import uuid
from datetime import datetime

from services.notifier.rendering import RunNotice

SIGNATURE_HEADER = "X-ReportFlow-Signature"
DELIVERY_HEADER = "X-ReportFlow-Delivery"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def webhook_body(notice: RunNotice, delivery_id: uuid.UUID, resend_id: uuid.UUID | None) -> bytes:
    """What happened to the run; the same bytes for every attempt of one delivery."""
    run = notice.run
    has_file = notice.output is not None
    document = {
        "delivery_id": str(delivery_id),
        "resend_id": None if resend_id is None else str(resend_id),
        "report": {
            "id": None if run.report_id is None else str(run.report_id),
            "name": run.report_name,
        },
        "run": {
            "id": str(run.run_id),
            "status": str(run.status),
            "scheduled_for": _iso(run.scheduled_for),
            "finished_at": _iso(run.finished_at),
            "row_count": run.row_count,
            "byte_size": run.byte_size,
            "sha256": run.sha256,
            "error": run.error_message,
        },
        "download_url": notice.download_url if has_file else None,
        # The report's subject_template rendered for the run; null without one.
        "subject": notice.templated.subject,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the raw body>`, as receivers recompute it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def plain_headers(delivery_id: uuid.UUID) -> dict[str, str]:
    """JSON, and the delivery id that stays the same across retries."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "ReportFlow-Webhook/1",
        DELIVERY_HEADER: str(delivery_id),
    }


def webhook_headers(body: bytes, secret: str, delivery_id: uuid.UUID) -> dict[str, str]:
    return {**plain_headers(delivery_id), SIGNATURE_HEADER: signature(secret, body)}
