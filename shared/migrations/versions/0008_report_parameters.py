"""Report parameters: reports.parameters (declarations), report_runs.requested_parameters
(the values a manual run asked for) and report_runs.parameters (the values it ran with)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reports",
        sa.Column(
            "parameters",
            postgresql.JSONB(),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("report_runs", sa.Column("requested_parameters", postgresql.JSONB()))
    op.add_column("report_runs", sa.Column("parameters", postgresql.JSONB()))


def downgrade() -> None:
    op.drop_column("report_runs", "parameters")
    op.drop_column("report_runs", "requested_parameters")
    op.drop_column("reports", "parameters")
