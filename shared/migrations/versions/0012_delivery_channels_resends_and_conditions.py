"""Delivery channels beside e-mail, resends, and when to deliver: one ledger for every channel

reports.channels holds each report's extra delivery targets (a webhook, Teams or Slack channel: its
non-secret label, and its URL and secret sealed with CHANNEL_SECRETS_KEY). notification_log
gains the WEBHOOK, TEAMS and SLACK channels and resend_id (null for a run's own delivery; one id per
resend), and its unique key becomes (run_id, channel, recipient, resend_id) with NULLS NOT
DISTINCT, so a run's own delivery still has one row per target and each resend a set of its
own. reports.empty_result (send, skip, fail) and reports.deliver_if (conditions on the row
count) say when a successful run is delivered.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_UNIQUE = op.f("uq_notification_log_run_id_channel_recipient")
NEW_UNIQUE = op.f("uq_notification_log_run_id_channel_recipient_resend_id")
CHANNEL_CHECK = op.f("ck_notification_log_notification_channel")


def _empty_json_list(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text("'[]'::jsonb"),
        nullable=False,
    )


def upgrade() -> None:
    op.add_column(
        "reports",
        sa.Column(
            "empty_result",
            sa.Enum(
                "send",
                "skip",
                "fail",
                name="empty_result",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="send",
            nullable=False,
        ),
    )
    for name in ("deliver_if", "channels"):
        op.add_column("reports", _empty_json_list(name))
    op.add_column("notification_log", sa.Column("resend_id", sa.UUID(), nullable=True))
    op.drop_constraint(OLD_UNIQUE, "notification_log", type_="unique")
    op.create_unique_constraint(
        NEW_UNIQUE,
        "notification_log",
        ["run_id", "channel", "recipient", "resend_id"],
        postgresql_nulls_not_distinct=True,
    )
    op.drop_constraint(CHANNEL_CHECK, "notification_log", type_="check")
    op.create_check_constraint(
        CHANNEL_CHECK,
        "notification_log",
        "channel IN ('EMAIL', 'LOG', 'WEBHOOK', 'TEAMS', 'SLACK')",
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM notification_log"
        " WHERE channel IN ('WEBHOOK', 'TEAMS', 'SLACK') OR resend_id IS NOT NULL"
    )
    op.drop_constraint(CHANNEL_CHECK, "notification_log", type_="check")
    op.create_check_constraint(CHANNEL_CHECK, "notification_log", "channel IN ('EMAIL', 'LOG')")
    op.drop_constraint(NEW_UNIQUE, "notification_log", type_="unique")
    op.create_unique_constraint(OLD_UNIQUE, "notification_log", ["run_id", "channel", "recipient"])
    op.drop_column("notification_log", "resend_id")
    op.drop_column("reports", "channels")
    op.drop_column("reports", "deliver_if")
    op.drop_column("reports", "empty_result")
