"""indexes for the missed-run sweep and the outbox purge

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 17:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # CONCURRENTLY: both tables can be large in a running deployment (the outbox was never
    # purged before this revision), and a plain CREATE INDEX would block their writes.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_report_runs_finished_at",
            "report_runs",
            ["finished_at"],
            postgresql_concurrently=True,
        )
        op.create_index(
            "ix_outbox_published_at",
            "outbox",
            ["published_at"],
            postgresql_where=sa.text("published_at IS NOT NULL"),
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    op.drop_index("ix_outbox_published_at", table_name="outbox")
    op.drop_index("ix_report_runs_finished_at", table_name="report_runs")
