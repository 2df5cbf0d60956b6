"""per-family run outcomes and the child-key index of applications

Revision ID: e0013
Revises: e0012
Create Date: 2026-12-13 10:00:00

Issue 18 §3 (a family-facing read path): `assignment_outcome` holds each family's row of a run
over stored applications (school received, tier and lottery number there, the explanations of
the schools ranked above with their cutoffs), so a family's explanation reads one row instead of
the run's whole answer (keyed by application first, so the key serves that lookup);
`ix_application_child_key` serves the lookup of a child's applications
by the pseudonymous key of its citizen ID. Statuses `admitted` and `withdrawn` need no schema
change (`application.status` is a VARCHAR(20)).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0013"
down_revision: str | None = "e0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignment_outcome",
        sa.Column("application_id", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("lottery", sa.String(length=64), nullable=True),
        sa.Column("explanations", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["assignment_run.id"],
            name=op.f("fk_assignment_outcome_run_id_assignment_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("application_id", "run_id", name=op.f("pk_assignment_outcome")),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_child_key"), ["child_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_child_key"))
    op.drop_table("assignment_outcome")
