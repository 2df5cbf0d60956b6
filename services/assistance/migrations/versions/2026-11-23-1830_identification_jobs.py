"""应助尽助 identification jobs, review queue and coverage

Revision ID: a0005
Revises: a0004
Create Date: 2026-11-23 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a0005"
down_revision: str | None = "a0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_placement",
        sa.Column("student_key", sa.String(length=32), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=7), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("student_key", name=op.f("pk_pending_placement")),
    )
    op.create_table(
        "identification_job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("refresh_lists", sa.Boolean(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identification_job")),
    )
    with op.batch_alter_table("identification_job", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identification_job_county_code"), ["county_code"], unique=False
        )
    op.create_table(
        "review_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("agency", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("list_ref", sa.Uuid(), nullable=False),
        sa.Column("assertion_id", sa.String(length=64), nullable=False),
        sa.Column("list_citizen_id", sa.String(length=18), nullable=False),
        sa.Column("list_name", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proposed_awards", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["identification_job.id"],
            name=op.f("fk_review_item_job_id_identification_job"),
        ),
        sa.ForeignKeyConstraint(
            ["list_ref"], ["category_list.id"], name=op.f("fk_review_item_list_ref_category_list")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_review_item_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_item")),
        sa.UniqueConstraint(
            "student_id",
            "assertion_id",
            "school_year",
            name=op.f("uq_review_item_student_id_assertion_id_school_year"),
        ),
    )
    with op.batch_alter_table("review_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_item_county_code"), ["county_code"])
        batch_op.create_index(batch_op.f("ix_review_item_job_id"), ["job_id"])
        batch_op.create_index(batch_op.f("ix_review_item_status"), ["status"])
        batch_op.create_index(batch_op.f("ix_review_item_student_id"), ["student_id"])
    op.create_table(
        "coverage_figure",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("auto_identified", sa.Integer(), nullable=False),
        sa.Column("awarded", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["identification_job.id"],
            name=op.f("fk_coverage_figure_job_id_identification_job"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_figure")),
        sa.UniqueConstraint(
            "job_id", "school_code", name=op.f("uq_coverage_figure_job_id_school_code")
        ),
    )
    with op.batch_alter_table("coverage_figure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_figure_job_id"), ["job_id"])


def downgrade() -> None:
    with op.batch_alter_table("coverage_figure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_figure_job_id"))
    op.drop_table("coverage_figure")
    with op.batch_alter_table("review_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_item_student_id"))
        batch_op.drop_index(batch_op.f("ix_review_item_status"))
        batch_op.drop_index(batch_op.f("ix_review_item_job_id"))
        batch_op.drop_index(batch_op.f("ix_review_item_county_code"))
    op.drop_table("review_item")
    with op.batch_alter_table("identification_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identification_job_county_code"))
    op.drop_table("identification_job")
    op.drop_table("pending_placement")
