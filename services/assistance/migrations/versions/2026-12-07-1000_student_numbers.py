"""student numbers

Revision ID: a0010
Revises: a0009
Create Date: 2026-12-07 10:00:00

Adds `student.student_number` (全国学籍号, issue 19; domain.md §1.4): 19 characters, nullable
(rows stored before it, and children a school has not given one, have none), unique when
present — the key for exchange with the national 学籍 system.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0010"
down_revision: str | None = "a0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.add_column(sa.Column("student_number", sa.String(length=19), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_student_student_number"), ["student_number"]
        )


def downgrade() -> None:
    with op.batch_alter_table("student", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_student_student_number"), type_="unique")
        batch_op.drop_column("student_number")
