"""reports.only_if_changed: deliver a successful run only when its file differs from the one
last delivered (off by default)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 01:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reports",
        sa.Column("only_if_changed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("reports", "only_if_changed")
