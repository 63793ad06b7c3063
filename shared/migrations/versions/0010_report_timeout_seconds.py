"""reports.timeout_seconds: a report's own statement timeout (null: STATEMENT_TIMEOUT_SECONDS)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reports", sa.Column("timeout_seconds", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_reports_timeout_seconds_positive"), "reports", "timeout_seconds > 0"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_reports_timeout_seconds_positive"), "reports", type_="check")
    op.drop_column("reports", "timeout_seconds")
