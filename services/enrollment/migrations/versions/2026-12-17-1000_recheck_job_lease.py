"""a re-check job's owner, lease and resume point

Revision ID: e0017
Revises: e0016
Create Date: 2026-12-16 10:00:00

Issue 22 §4 (stale re-check jobs): the process running a county's re-check holds it under a
lease it renews (`owner`, `lease_until`); `resume_after` is the last application whose check
committed and `attempts` counts the processes that ran the job. A job whose process died stays
`running` no longer: past its lease another replica takes it over and resumes after
`resume_after`, or marks it failed once it has been run `attempts` times. Jobs stored before
have no lease: one still queued or running is taken over by the first replica that looks.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0017"
down_revision: str | None = "e0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fact_recheck_job") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resume_after", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    with op.batch_alter_table("fact_recheck_job") as batch:
        batch.alter_column("attempts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("fact_recheck_job") as batch:
        batch.drop_column("attempts")
        batch.drop_column("resume_after")
        batch.drop_column("lease_until")
        batch.drop_column("owner")
