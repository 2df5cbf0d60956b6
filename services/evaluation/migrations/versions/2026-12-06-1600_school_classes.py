"""school classes

Revision ID: e0010
Revises: e0009
Create Date: 2026-12-06 16:00:00

Adds `school_class` (班级学生数: every class of every grade of a county's school sections in a
school year) and `class_import` (each upload of them, versioned per county-year): 班额
(government-assurance item 5) is judged on these real classes, no longer on the entry grade's
planned seats ÷ planned classes, which is at the cap by construction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0010"
down_revision: str | None = "e0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "school_class",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("pupils", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_class")),
        sa.UniqueConstraint(
            "year",
            "school_code",
            "level",
            "grade",
            "name",
            name=op.f("uq_school_class_year_school_code_level_grade_name"),
        ),
    )
    op.create_index(op.f("ix_school_class_import_id"), "school_class", ["import_id"])
    op.create_table(
        "class_import",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=True),
        sa.Column("classes", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_import")),
        sa.UniqueConstraint(
            "county_code", "year", "version", name=op.f("uq_class_import_county_code_year_version")
        ),
    )
    op.create_index(op.f("ix_class_import_county_code"), "class_import", ["county_code"])


def downgrade() -> None:
    op.drop_index("ix_class_import_county_code", table_name="class_import")
    op.drop_table("class_import")
    op.drop_index("ix_school_class_import_id", table_name="school_class")
    op.drop_table("school_class")
