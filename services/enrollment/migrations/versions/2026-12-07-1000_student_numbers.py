"""student numbers

Revision ID: e0007
Revises: e0006
Create Date: 2026-12-07 10:00:00

Adds the child's 全国学籍号 (issue 19, national identifiers; domain.md §1.4) to `application`
and `admission`: `student_number`, 19 characters (G + the citizen ID, J + a number by the
citizen-ID rule, or a temporary L number), nullable — applications stored before it, and
families who give none, have no number.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0007"
down_revision: str | None = "e0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("application", "admission"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("student_number", sa.String(length=19), nullable=True))


def downgrade() -> None:
    for table in ("admission", "application"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("student_number")
