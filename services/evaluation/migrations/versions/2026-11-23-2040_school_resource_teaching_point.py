"""school resource teaching point

Revision ID: e0007
Revises: e0006
Create Date: 2026-11-23 20:40:00

Adds `school_resource.teaching_point` (教学点), so a county's stored data can mark the teaching
points its scope rule (`min_pupils_teaching_point`, domain.md §5.1) leaves out. Rows stored
before it are no teaching point (the server default fills them, then is dropped: the service
always writes the value).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0007"
down_revision: str | None = "e0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school_resource", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("teaching_point", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("school_resource", schema=None) as batch_op:
        batch_op.alter_column("teaching_point", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("school_resource", schema=None) as batch_op:
        batch_op.drop_column("teaching_point")
