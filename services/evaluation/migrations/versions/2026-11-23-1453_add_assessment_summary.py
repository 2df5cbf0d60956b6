"""add assessment summary

Revision ID: e0004
Revises: e0003
Create Date: 2026-11-23 14:53:49.483414

Adds `assessment.summary` (what trends and roll-ups read) and backfills it for stored rows from
their canonical inputs and result, one row at a time, with `evaluation.trends.rules`; then makes
it NOT NULL.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evaluation.assessment.catalogue import catalogue_by_version
from evaluation.trends.rules import summary_from_documents

revision: str = "e0004"
down_revision: str | None = "e0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

assessment = sa.table(
    "assessment",
    sa.column("id", sa.Uuid()),
    sa.column("catalogue_version", sa.String()),
    sa.column("inputs", sa.Text()),
    sa.column("result", sa.JSON()),
    sa.column("summary", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))

    connection = op.get_bind()
    ids = connection.scalars(sa.select(assessment.c.id).where(assessment.c.summary.is_(None)))
    for assessment_id in list(ids):
        row = connection.execute(
            sa.select(
                assessment.c.catalogue_version, assessment.c.inputs, assessment.c.result
            ).where(assessment.c.id == assessment_id)
        ).one()
        summary = summary_from_documents(
            json.loads(row.inputs), row.result, catalogue_by_version(row.catalogue_version)
        )
        connection.execute(
            sa.update(assessment).where(assessment.c.id == assessment_id).values(summary=summary)
        )

    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.alter_column("summary", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_column("summary")
