"""Retention: report_runs.expired_at (its file was removed by the retention sweep),
reports.retention_days (a report's own file retention), and an index for the sweeps

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("report_runs", sa.Column("expired_at", sa.DateTime(timezone=True)))
    op.add_column("reports", sa.Column("retention_days", sa.Integer()))
    op.create_check_constraint(
        op.f("ck_reports_retention_days_range"), "reports", "retention_days BETWEEN 1 AND 3650"
    )
    # The file sweep reads finished runs that still keep a file, oldest first.
    op.create_index(
        "ix_report_runs_files_kept",
        "report_runs",
        ["finished_at"],
        postgresql_where=sa.text("output_path IS NOT NULL AND expired_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_report_runs_files_kept", table_name="report_runs")
    op.drop_constraint(op.f("ck_reports_retention_days_range"), "reports")
    op.drop_column("reports", "retention_days")
    op.drop_column("report_runs", "expired_at")
