"""primary school of an application

Revision ID: e0009
Revises: e0008
Create Date: 2026-12-09 10:00:00

Issue 19, 九年一贯制对口 (seed 003: "着力推行九年一贯制对口招生"): a grade-7 application may name the
primary school the child leaves (`primary_school_code`, a 10-digit 学校标识码). Nullable: the
applications stored before, every grade-1 application and the families who give none have no
school.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0009"
down_revision: str | None = "e0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("primary_school_code", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("primary_school_code")
