"""audit_log.version: each change of a report is a numbered version of its definition

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("version", sa.Integer(), nullable=True))
    # One entry per (report, version): two changes racing for a number cannot both win.
    op.create_index(
        "uq_audit_log_subject_version",
        "audit_log",
        ["subject_id", "version"],
        unique=True,
        postgresql_where=sa.text("version IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_audit_log_subject_version", table_name="audit_log")
    op.drop_column("audit_log", "version")
