"""reports.inline_rows (the first rows a mail shows as a table, 0..100) and
report_runs.first_rows (the first rows the runner kept: {"columns", "rows", "cut"})

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reports", sa.Column("inline_rows", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_reports_inline_rows_range"), "reports", "inline_rows BETWEEN 0 AND 100"
    )
    op.add_column("report_runs", sa.Column("first_rows", postgresql.JSONB()))


def downgrade() -> None:
    op.drop_column("report_runs", "first_rows")
    op.drop_constraint(op.f("ck_reports_inline_rows_range"), "reports")
    op.drop_column("reports", "inline_rows")
