"""school resource special education

Revision ID: e0009
Revises: e0008
Create Date: 2026-12-06 13:00:00

Adds `school_resource.special_education` (特殊教育学校): the 资源配置 assessment takes ordinary
primary, junior and nine-year/complete schools only (domain.md §5.1), so a county's stored data
marks its special-education schools, which assessments list in `excluded`. Rows stored before it
are ordinary schools (the server default fills them, then is dropped: the service always writes
the value).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0009"
down_revision: str | None = "e0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school_resource", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("special_education", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("school_resource", schema=None) as batch_op:
        batch_op.alter_column("special_education", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("school_resource", schema=None) as batch_op:
        batch_op.drop_column("special_education")
