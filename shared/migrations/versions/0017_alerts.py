"""The alerts table (the notifier's watchdog: failing runs, missed slots, overdue runs, failing
deliveries, a silent scheduler, growing dead letters), the services' heartbeats and
reports.failure_notice_recipients

At most one open alert per (kind, report_id, target): a partial unique index with NULLS NOT
DISTINCT, so two notifiers opening the same alert insert one row. The notice_* columns are the
alert's own mail ledger: claimed before the mail is sent, finished after.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "run_failing",
    "delivery_failing",
    "missed_slot",
    "run_overdue",
    "scheduler_down",
    "dead_letters_growing",
)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column(
            "report_id",
            UUID(as_uuid=True),
            sa.ForeignKey("reports.id", ondelete="CASCADE", name="fk_alerts_report_id_reports"),
            nullable=True,
        ),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column(
            "since", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "last_seen", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("details", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("notice_claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("notice_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind}'" for kind in KINDS) + ")",
            name="ck_alerts_alert_kind",
        ),
    )
    op.create_index(
        "uq_alerts_open",
        "alerts",
        ["kind", "report_id", "target"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
        postgresql_nulls_not_distinct=True,
    )
    op.create_index("ix_alerts_since", "alerts", ["since"])
    op.create_index("ix_alerts_report_id", "alerts", ["report_id"])
    op.add_column(
        "reports",
        sa.Column(
            "failure_notice_recipients", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.create_table(
        "service_heartbeats",
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service", name="pk_service_heartbeats"),
    )


def downgrade() -> None:
    op.drop_table("service_heartbeats")
    op.drop_column("reports", "failure_notice_recipients")
    op.drop_index("ix_alerts_report_id", table_name="alerts")
    op.drop_index("ix_alerts_since", table_name="alerts")
    op.drop_index("uq_alerts_open", table_name="alerts")
    op.drop_table("alerts")
