"""run control: CANCELLED and SKIPPED runs, cancel requests, retries, progress, overlap rule

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("QUEUED", "RUNNING", "SUCCESS", "FAILED")
NEW_STATUSES = (*OLD_STATUSES, "CANCELLED", "SKIPPED")


def _status_check(statuses: Sequence[str]) -> None:
    op.drop_constraint("run_status", "report_runs", type_="check")
    listed = ", ".join(f"'{status}'" for status in statuses)
    op.create_check_constraint("run_status", "report_runs", f"status IN ({listed})")


def upgrade() -> None:
    _status_check(NEW_STATUSES)
    for name in ("cancel_requested_at", "not_before"):
        op.add_column("report_runs", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "report_runs", sa.Column("retries", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("report_runs", sa.Column("rows_exported", sa.BigInteger(), nullable=True))
    op.add_column("report_runs", sa.Column("bytes_written", sa.BigInteger(), nullable=True))
    op.add_column(
        "report_runs",
        sa.Column("attempts", JSONB(), server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column(
        "reports", sa.Column("max_retries", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "reports",
        sa.Column("retry_delay_seconds", sa.Integer(), server_default="60", nullable=False),
    )
    op.add_column(
        "reports",
        sa.Column(
            "overlap",
            sa.Enum(
                "skip",
                "queue",
                "allow",
                name="overlap",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="skip",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("reports", "overlap")
    op.drop_column("reports", "retry_delay_seconds")
    op.drop_column("reports", "max_retries")
    for name in (
        "attempts",
        "bytes_written",
        "rows_exported",
        "retries",
        "not_before",
        "cancel_requested_at",
    ):
        op.drop_column("report_runs", name)
    op.execute(
        "UPDATE report_runs SET status = 'FAILED', error_message = coalesce(error_message, "
        "'was ' || status) WHERE status IN ('CANCELLED', 'SKIPPED')"
    )
    _status_check(OLD_STATUSES)
