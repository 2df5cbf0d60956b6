"""small_school_pupils

Revision ID: s0006
Revises: s0005
Create Date: 2026-12-06 13:00:00

The county parameter `small_school_counted_pupils` becomes `small_school_pupils`: a village
school or teaching point under 100 pupils is funded (公用经费) as 100 pupils (govt item 6, seed
001), but its 编制 follows its real pupils (domain.md §3.1); the size now only marks the small
rural schools that receive first in 统筹. Rows a county set keep their value under the new key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0006"
down_revision: str | None = "s0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "small_school_counted_pupils", "small_school_pupils"


def _rename(old: str, new: str) -> None:
    op.execute(
        sa.text("UPDATE policy_parameter SET key = :new WHERE key = :old").bindparams(
            old=old, new=new
        )
    )


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
