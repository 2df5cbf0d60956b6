"""create quota ledger, school enrolment, county policy parameters and rotation plans

Revision ID: s0003
Revises: s0002
Create Date: 2026-11-23 15:53:20.019414
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0003"
down_revision: str | None = "s0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_parameter",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope_code", sa.String(length=6), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("qualifier", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(length=60), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("evidence", sa.String(length=10), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_parameter")),
    )
    with op.batch_alter_table("policy_parameter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_parameter_scope_code"), ["scope_code"], unique=False
        )

    op.create_table(
        "quota_ledger_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("change", sa.Integer(), nullable=False),
        sa.Column("approved_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_ledger_entry")),
        sa.UniqueConstraint(
            "school_code", "sequence", name=op.f("uq_quota_ledger_entry_school_code_sequence")
        ),
    )
    with op.batch_alter_table("quota_ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quota_ledger_entry_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "rotation_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "confirmed",
                "approved",
                "executed",
                name="planstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("quota_rules_met", sa.Boolean(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executed_by", sa.String(length=100), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_plan")),
    )
    with op.batch_alter_table("rotation_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_plan_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "school_enrolment",
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("area", sa.String(length=12), nullable=True),
        sa.Column("primary_pupils", sa.Integer(), nullable=False),
        sa.Column("junior_pupils", sa.Integer(), nullable=False),
        sa.Column("senior_pupils", sa.Integer(), nullable=False),
        sa.Column("primary_classes", sa.Integer(), nullable=True),
        sa.Column("junior_classes", sa.Integer(), nullable=True),
        sa.Column("senior_classes", sa.Integer(), nullable=True),
        sa.Column("boarding_pupils", sa.Integer(), nullable=False),
        sa.Column("special_education_pupils", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("school_code", "year", name=op.f("pk_school_enrolment")),
    )
    with op.batch_alter_table("school_enrolment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_school_enrolment_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "rotation_confirmation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("confirmed_by", sa.String(length=100), nullable=False),
        sa.Column("signatory", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["rotation_plan.id"],
            name=op.f("fk_rotation_confirmation_plan_id_rotation_plan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_confirmation")),
        sa.UniqueConstraint(
            "plan_id", "school_code", name=op.f("uq_rotation_confirmation_plan_id_school_code")
        ),
    )
    with op.batch_alter_table("rotation_confirmation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_confirmation_plan_id"), ["plan_id"], unique=False
        )

    op.create_table(
        "rotation_execution",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("teacher_id", sa.Uuid(), nullable=False),
        sa.Column("from_school", sa.String(length=10), nullable=False),
        sa.Column("to_school", sa.String(length=10), nullable=False),
        sa.Column("is_backbone", sa.Boolean(), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["rotation_plan.id"],
            name=op.f("fk_rotation_execution_plan_id_rotation_plan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_execution")),
        sa.UniqueConstraint(
            "plan_id", "teacher_id", name=op.f("uq_rotation_execution_plan_id_teacher_id")
        ),
    )
    with op.batch_alter_table("rotation_execution", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_execution_plan_id"), ["plan_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rotation_execution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_execution_plan_id"))

    op.drop_table("rotation_execution")
    with op.batch_alter_table("rotation_confirmation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_confirmation_plan_id"))

    op.drop_table("rotation_confirmation")
    with op.batch_alter_table("school_enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_enrolment_county_code"))

    op.drop_table("school_enrolment")
    with op.batch_alter_table("rotation_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_plan_county_code"))

    op.drop_table("rotation_plan")
    with op.batch_alter_table("quota_ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quota_ledger_entry_county_code"))

    op.drop_table("quota_ledger_entry")
    with op.batch_alter_table("policy_parameter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_parameter_scope_code"))

    op.drop_table("policy_parameter")
