"""teacher stats read model, assessment sources, announced verdict state

Revision ID: e0005
Revises: e0004
Create Date: 2026-11-23 15:30:00

- `teacher_stats_school` / `teacher_stats_section`: the read model of staffing's
  `staffing.school_teacher_stats.changed` (newest version per school, its sections' counts);
- `assessment.sources`: where an assessment's numbers came from (request, or the upload and the
  staffing events used). Left NULL for assessments stored before: their origin was not recorded;
- `county_verdict_state`: the verdict last announced by `evaluation.verdict.changed`. Empty at
  first, so a county-year's first verdict after this revision is announced (previous status null).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0005"
down_revision: str | None = "e0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teacher_stats_school",
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_event_id", sa.String(length=64), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_code", name=op.f("pk_teacher_stats_school")),
    )
    with op.batch_alter_table("teacher_stats_school", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_teacher_stats_school_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "teacher_stats_section",
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("full_time_teachers", sa.Integer(), nullable=False),
        sa.Column("teachers_above_required_degree", sa.Integer(), nullable=False),
        sa.Column("backbone_teachers", sa.Integer(), nullable=False),
        sa.Column("pe_arts_teachers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_code"],
            ["teacher_stats_school.school_code"],
            name=op.f("fk_teacher_stats_section_school_code_teacher_stats_school"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("school_code", "level", name=op.f("pk_teacher_stats_section")),
    )

    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=True))

    op.create_table(
        "county_verdict_state",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("failing", sa.JSON(), nullable=False),
        sa.Column("assessment_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_verdict_state")),
        sa.UniqueConstraint(
            "county_code", "year", name=op.f("uq_county_verdict_state_county_code_year")
        ),
    )
    with op.batch_alter_table("county_verdict_state", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_county_verdict_state_county_code"), ["county_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("county_verdict_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_county_verdict_state_county_code"))
    op.drop_table("county_verdict_state")

    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_column("sources")

    op.drop_table("teacher_stats_section")
    with op.batch_alter_table("teacher_stats_school", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teacher_stats_school_county_code"))
    op.drop_table("teacher_stats_school")
