"""leadership post and teacher qualification

Revision ID: s0007
Revises: s0006
Create Date: 2026-12-06 15:30:00

The registry records a teacher's 校级领导职务 (`leadership_post`: principal 校长 | vice_principal
副校长), which seed 000's rotation priority reads, and the 教师资格证 (`teacher_qualification_type`,
`_number`, `_subject`), which seed 000 requires before a teacher may teach. Teachers stored before
have neither: null, so a 专任教师 among them is flagged `no_teacher_qualification` until the
bureau records the certificate.

Policy rows need no change here: the built-in rows (the 6 / 9 years that now key
`rotation_priority_years`) live in code, and a county's stored `rotation_trigger_years` row was,
and stays, the county's own eligibility condition.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0007"
down_revision: str | None = "s0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "leadership_post",
                sa.Enum(
                    "principal",
                    "vice_principal",
                    name="leadershippost",
                    native_enum=False,
                    length=20,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("teacher_qualification_type", sa.String(length=30), nullable=True)
        )
        batch_op.add_column(
            sa.Column("teacher_qualification_number", sa.String(length=30), nullable=True)
        )
        batch_op.add_column(
            sa.Column("teacher_qualification_subject", sa.String(length=30), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("teacher", schema=None) as batch_op:
        batch_op.drop_column("teacher_qualification_subject")
        batch_op.drop_column("teacher_qualification_number")
        batch_op.drop_column("teacher_qualification_type")
        batch_op.drop_column("leadership_post")
