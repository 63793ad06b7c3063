"""reports.subject_template, body_template, file_name_template: sandboxed templates of a
report's mail subject and body and of its output file's name (null: the default)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEMPLATE_COLUMNS = ("subject_template", "body_template", "file_name_template")


def upgrade() -> None:
    for column in TEMPLATE_COLUMNS:
        op.add_column("reports", sa.Column(column, sa.Text(), nullable=True))


def downgrade() -> None:
    for column in reversed(TEMPLATE_COLUMNS):
        op.drop_column("reports", column)
