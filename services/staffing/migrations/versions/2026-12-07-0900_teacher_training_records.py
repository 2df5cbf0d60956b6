"""teacher training records

Revision ID: s0009
Revises: s0008
Create Date: 2026-12-07 09:00:00

教师培训记录 (issue 19: 教师5年360学时 from the registry instead of a typed count):

- `teacher_training_import`: one accepted training sheet (SHA-256, rows added and updated);
- `teacher_training_record`: one completed training of a teacher — programme, provider, dates,
  hours (one decimal), certificate reference, who recorded it, the import that brought it;
  (teacher, programme, completed_on) unique;
- `school_teacher_stats.training_requirement`: the requirement the published training counts
  used. Null for the counts published before: they carry no training counts, and the school's
  next recount publishes them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0009"
down_revision: str | None = "s0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teacher_training_import",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teacher_training_import")),
    )
    with op.batch_alter_table("teacher_training_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_teacher_training_import_content_sha256"),
            ["content_sha256"],
            unique=False,
        )

    op.create_table(
        "teacher_training_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("teacher_id", sa.Uuid(), nullable=False),
        sa.Column("programme", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=6, scale=1), nullable=False),
        sa.Column("certificate_reference", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["teacher_training_import.id"],
            name=op.f("fk_teacher_training_record_import_id_teacher_training_import"),
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teacher.id"],
            name=op.f("fk_teacher_training_record_teacher_id_teacher"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teacher_training_record")),
        sa.UniqueConstraint(
            "teacher_id",
            "programme",
            "completed_on",
            name=op.f("uq_teacher_training_record_teacher_id_programme_completed_on"),
        ),
    )
    with op.batch_alter_table("teacher_training_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_teacher_training_record_completed_on"), ["completed_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_teacher_training_record_teacher_id"), ["teacher_id"], unique=False
        )

    with op.batch_alter_table("school_teacher_stats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("training_requirement", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("school_teacher_stats", schema=None) as batch_op:
        batch_op.drop_column("training_requirement")
    with op.batch_alter_table("teacher_training_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teacher_training_record_teacher_id"))
        batch_op.drop_index(batch_op.f("ix_teacher_training_record_completed_on"))
    op.drop_table("teacher_training_record")
    with op.batch_alter_table("teacher_training_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teacher_training_import_content_sha256"))
    op.drop_table("teacher_training_import")
