"""export checksums, notes and compression

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 15:05:05.275335
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("report_runs", sa.Column("sha256", sa.String(length=64), nullable=True))
    op.add_column("report_runs", sa.Column("notes", sa.Text(), nullable=True))
    op.add_column(
        "reports",
        sa.Column(
            "compression",
            sa.Enum(
                "none",
                "gzip",
                name="compression",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="none",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("reports", "compression")
    op.drop_column("report_runs", "notes")
    op.drop_column("report_runs", "sha256")
