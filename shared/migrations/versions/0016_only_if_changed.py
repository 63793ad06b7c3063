"""reports.only_if_changed: deliver a successful run only when its file differs from the one
last delivered (off by default)

ix_report_runs_report_id_finished_at lets the notifier walk one report's runs newest first to
the last delivered one, stopping there, instead of sorting all of them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 01:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDEX = "ix_report_runs_report_id_finished_at"


def upgrade() -> None:
    op.add_column(
        "reports",
        sa.Column("only_if_changed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_index(INDEX, "report_runs", ["report_id", "finished_at", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="report_runs")
    op.drop_column("reports", "only_if_changed")
