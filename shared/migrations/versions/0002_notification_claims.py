"""notification claims and retries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "notification_log", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "notification_log", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_notification_log_pending",
        "notification_log",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'PENDING'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_notification_log_pending",
        table_name="notification_log",
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_column("notification_log", "next_attempt_at")
    op.drop_column("notification_log", "claimed_at")
