"""school urban rural code

Revision ID: s0008
Revises: s0007
Create Date: 2026-12-06 17:00:00

Adds `school.urban_rural_code` to staffing's copy of the registry (issue 19: the 城乡分类代码
enrollment now publishes replaces the bureau's hand-set rurality flag where present). Rows
copied before it have none until the school's next registry event; the flag decides for them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0008"
down_revision: str | None = "s0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urban_rural_code", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_column("urban_rural_code")
