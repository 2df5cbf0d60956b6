"""teacher stats training counts

Revision ID: e0011
Revises: e0010
Create Date: 2026-12-07 09:00:00

The teacher-statistics read model keeps the 教师5年360学时 counts staffing now publishes
(issue 19: 政府保障程度第9项 from the registry instead of a typed count): per section
`teachers_counted_for_training` and `teachers_meeting_training_hours`, per school the
requirement they used (`training_required_hours`, `training_window_years`,
`training_window_from`, `training_source`). Rows copied before have none (null) until the
school's next event: the verdict then keeps judging the item on a stored review.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0011"
down_revision: str | None = "e0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teacher_stats_school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("training_required_hours", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("training_window_years", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("training_window_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("training_source", sa.String(length=1000), nullable=True))
    with op.batch_alter_table("teacher_stats_section", schema=None) as batch_op:
        batch_op.add_column(sa.Column("teachers_counted_for_training", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("teachers_meeting_training_hours", sa.Integer(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("teacher_stats_section", schema=None) as batch_op:
        batch_op.drop_column("teachers_meeting_training_hours")
        batch_op.drop_column("teachers_counted_for_training")
    with op.batch_alter_table("teacher_stats_school", schema=None) as batch_op:
        batch_op.drop_column("training_source")
        batch_op.drop_column("training_window_from")
        batch_op.drop_column("training_window_years")
        batch_op.drop_column("training_required_hours")
