"""resident population by zone and seat standards

Revision ID: e0010
Revises: e0009
Create Date: 2026-12-10 10:00:00

Issue 19: the 学位配置标准 per resident population (seed 000, seed 002) beside 户籍 births in the
seat forecast. `resident_population_import` / `resident_population`: 常住人口 by zone for a base
year, as the bureau imports it (one row per county, year, level and zone; residents ≥ 0).
`seat_standard`: seats per 1,000 residents per level, set by a region or county from a date on,
with its source. Both start empty: no source gives a standard, so none is seeded.
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
        "resident_population_import",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_population_import")),
    )
    with op.batch_alter_table("resident_population_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resident_population_import_county_code"), ["county_code"], unique=False
        )
    op.create_table(
        "resident_population",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("zone_code", sa.String(length=40), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "residents >= 0", name=op.f("ck_resident_population_residents_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["resident_population_import.id"],
            name=op.f("fk_resident_population_import_id_resident_population_import"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_population")),
        sa.UniqueConstraint(
            "county_code",
            "year",
            "level",
            "zone_code",
            name=op.f("uq_resident_population_county_code_year_level_zone_code"),
        ),
    )
    with op.batch_alter_table("resident_population", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resident_population_import_id"), ["import_id"], unique=False
        )
    op.create_table(
        "seat_standard",
        sa.Column("scope_code", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("seats_per_1000", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("evidence", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "scope_code", "level", "effective_from", name=op.f("pk_seat_standard")
        ),
    )


def downgrade() -> None:
    op.drop_table("seat_standard")
    with op.batch_alter_table("resident_population", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resident_population_import_id"))
    op.drop_table("resident_population")
    with op.batch_alter_table("resident_population_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resident_population_import_county_code"))
    op.drop_table("resident_population_import")
