"""Which ledger rows a delivery gets, and in which state (pure): one per e-mail address and
one per webhook or Teams channel of the report, or only the addresses a resend names."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from services.notifier.channels import channel_keys
from services.notifier.decisions import (
    DeliveredRun,
    should_mail,
    unchanged_since,
    withheld_because,
)
from services.notifier.finished_run import FinishedRun
from services.notifier.notification_log import LedgerKey
from services.notifier.rendering import is_mailable_address, subject
from shared.models import MAILED_STATUSES, NotificationChannel, NotificationStatus

NOT_ALLOWED = "the recipient's domain is not in ALLOWED_RECIPIENT_DOMAINS; not sent"


@dataclass(frozen=True)
class RowGroup:
    keys: list[LedgerKey]
    status: NotificationStatus
    message: str
    error: str | None = None


@dataclass(frozen=True)
class DeliveryPlan:
    groups: list[RowGroup] = field(default_factory=list)
    # The PENDING rows, to claim and send now.
    to_send: list[LedgerKey] = field(default_factory=list)
    # Valid addresses outside ALLOWED_RECIPIENT_DOMAINS (logged by the caller).
    refused: list[str] = field(default_factory=list)


def plan_delivery(
    run: FinishedRun,
    resend_id: uuid.UUID | None,
    resend_recipients: Sequence[str] | None,
    allows_recipient: Callable[[str], bool],
    last_delivered: DeliveredRun | None = None,
) -> DeliveryPlan:
    """A resend ignores notify_on, empty_result, deliver_if and only_if_changed (someone asked
    for it); one naming recipients sends to those addresses only, and to no other channel.
    `last_delivered`: the report's last delivered run, for only_if_changed."""
    addresses = resend_recipients if resend_recipients is not None else run.recipients
    emails = list(dict.fromkeys(address.strip() for address in addresses))
    hooks = channel_keys(run.channels) if resend_recipients is None else []

    def keys(channel: NotificationChannel, labels: list[str]) -> list[LedgerKey]:
        return [LedgerKey(run.run_id, channel, label, resend_id) for label in labels]

    email_keys = keys(NotificationChannel.EMAIL, emails)
    hook_keys = [LedgerKey(run.run_id, kind, label, resend_id) for kind, label in hooks]
    reason = None if resend_id is not None else _withheld(run, last_delivered)
    if reason is not None:
        return DeliveryPlan([RowGroup(email_keys + hook_keys, NotificationStatus.SKIPPED, reason)])
    valid = [address for address in emails if is_mailable_address(address)]
    allowed = [address for address in valid if allows_recipient(address)]
    refused = [address for address in valid if address not in allowed]
    invalid = [address for address in emails if address not in valid]
    mail_subject = subject(run)
    pending = keys(NotificationChannel.EMAIL, allowed)
    groups = [
        RowGroup(pending, NotificationStatus.PENDING, mail_subject),
        RowGroup(hook_keys, NotificationStatus.PENDING, f"{run.status} notice"),
        RowGroup(
            keys(NotificationChannel.EMAIL, refused),
            NotificationStatus.SKIPPED,
            mail_subject,
            NOT_ALLOWED,
        ),
        RowGroup(
            keys(NotificationChannel.EMAIL, invalid),
            NotificationStatus.FAILED,
            mail_subject,
            "not a valid e-mail address",
        ),
    ]
    return DeliveryPlan(groups, pending + hook_keys, refused)


def _withheld(run: FinishedRun, last_delivered: DeliveredRun | None) -> str | None:
    if run.status not in MAILED_STATUSES:
        return f"a {run.status} run is never delivered"
    if not should_mail(run.notify_on, run.status):
        return f"notify_on is {run.notify_on} and the run is {run.status}"
    reason = withheld_because(
        run.status, run.row_count, run.empty_result, run.deliver_if, run.first_rows
    )
    if reason is not None:
        return reason
    return unchanged_since(run.status, run.only_if_changed, run.sha256, last_delivered)
