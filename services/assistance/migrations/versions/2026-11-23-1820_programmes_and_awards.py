"""aid programmes, standards, calendar and awards

Revision ID: a0004
Revises: a0003
Create Date: 2026-11-23 18:20:00

Also seeds the national programme catalogue (domain.md §4.1) and the 2025 working calendar
(国办发明电〔2024〕12号) as data; the API adds later versions and standards beside them.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa
from alembic import op

revision: str = "a0004"
down_revision: str | None = "a0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disbursement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("total_yuan", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement")),
    )
    with op.batch_alter_table("disbursement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disbursement_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "programme",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("scope_code", sa.String(length=6), nullable=False),
        sa.Column("benefit", sa.String(length=8), nullable=False),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("eligible_categories", sa.JSON(), nullable=False),
        sa.Column("publicity_shows_category", sa.Boolean(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_programme_code_version")),
    )
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_code"), ["code"], unique=False)

    op.create_table(
        "programme_standard",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme_code", sa.String(length=40), nullable=False),
        sa.Column("scope_code", sa.String(length=6), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("days_per_year", sa.Integer(), nullable=True),
        sa.Column("rates", sa.JSON(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("payment_schedule", sa.JSON(), nullable=False),
        sa.Column("funding_shares", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("evidence", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_standard")),
    )
    with op.batch_alter_table("programme_standard", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_standard_programme_code"), ["programme_code"], unique=False
        )

    op.create_table(
        "publicity_batch",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("calendar_note", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity_batch")),
    )
    with op.batch_alter_table("publicity_batch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publicity_batch_county_code"), ["county_code"], unique=False
        )

    op.create_table(
        "work_calendar",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("working_days", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_work_calendar")),
    )
    op.create_table(
        "award",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("school_code", sa.String(length=10), nullable=False),
        sa.Column("programme_code", sa.String(length=40), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=True),
        sa.Column("tier", sa.String(length=30), nullable=True),
        sa.Column("level", sa.String(length=7), nullable=False),
        sa.Column("boarding", sa.Boolean(), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_yuan", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("standard_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=6), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("publicity_batch_id", sa.Uuid(), nullable=True),
        sa.Column("review", sa.JSON(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["publicity_batch_id"],
            ["publicity_batch.id"],
            name=op.f("fk_award_publicity_batch_id_publicity_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["programme_standard.id"],
            name=op.f("fk_award_standard_id_programme_standard"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_award_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award")),
        sa.UniqueConstraint(
            "student_id",
            "programme_code",
            "school_year",
            name=op.f("uq_award_student_id_programme_code_school_year"),
        ),
    )
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_county_code"), ["county_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_award_publicity_batch_id"), ["publicity_batch_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_award_school_code"), ["school_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_student_id"), ["student_id"], unique=False)

    op.create_table(
        "student_transfer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("from_county_code", sa.String(length=6), nullable=False),
        sa.Column("from_school_code", sa.String(length=10), nullable=False),
        sa.Column("to_county_code", sa.String(length=6), nullable=False),
        sa.Column("to_school_code", sa.String(length=10), nullable=False),
        sa.Column("transferred_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_student_transfer_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student_transfer")),
    )
    with op.batch_alter_table("student_transfer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_student_transfer_from_county_code"), ["from_county_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_student_transfer_student_id"), ["student_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_student_transfer_to_county_code"), ["to_county_code"], unique=False
        )

    op.create_table(
        "award_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=14), nullable=True),
        sa.Column("to_status", sa.String(length=14), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["award.id"], name=op.f("fk_award_history_award_id_award")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_history")),
    )
    with op.batch_alter_table("award_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_history_award_id"), ["award_id"], unique=False)

    op.create_table(
        "disbursement_item",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("disbursement_id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["award.id"], name=op.f("fk_disbursement_item_award_id_award")
        ),
        sa.ForeignKeyConstraint(
            ["disbursement_id"],
            ["disbursement.id"],
            name=op.f("fk_disbursement_item_disbursement_id_disbursement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement_item")),
        sa.UniqueConstraint(
            "disbursement_id",
            "award_id",
            name=op.f("uq_disbursement_item_disbursement_id_award_id"),
        ),
    )
    with op.batch_alter_table("disbursement_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disbursement_item_award_id"), ["award_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disbursement_item_disbursement_id"), ["disbursement_id"], unique=False
        )

    op.create_table(
        "objection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.String(length=1000), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["award.id"], name=op.f("fk_objection_award_id_award")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["publicity_batch.id"], name=op.f("fk_objection_batch_id_publicity_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objection_award_id"), ["award_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_objection_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "status_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("change", sa.String(length=6), nullable=False),
        sa.Column("agency", sa.String(length=10), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("grace_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("appeal", sa.String(length=1000), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("resolution", sa.String(length=1000), nullable=True),
        sa.Column("raised_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["award.id"], name=op.f("fk_status_notice_award_id_award")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_status_notice_student_id_student")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_notice")),
    )
    with op.batch_alter_table("status_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_notice_award_id"), ["award_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_status_notice_county_code"), ["county_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_status_notice_student_id"), ["student_id"], unique=False
        )
    seed()


def downgrade() -> None:
    op.drop_table("status_notice")
    op.drop_table("objection")
    op.drop_table("disbursement_item")
    op.drop_table("award_history")
    op.drop_table("student_transfer")
    op.drop_table("award")
    op.drop_table("work_calendar")
    op.drop_table("publicity_batch")
    op.drop_table("programme_standard")
    op.drop_table("programme")
    op.drop_table("disbursement")


ALL_CATEGORIES = [
    "dibao",
    "tekun",
    "orphan",
    "de_facto_unsupported",
    "hardship_child",
    "disabled_student",
    "disabled_parent",
    "tuopin",
    "monitored_relapse",
]
SEEDED = datetime(2026, 11, 23, tzinfo=UTC)
LIVING_SUBSIDY_2019 = UUID("0193a000-0000-7000-8000-000000000001")
NUTRITION_2021 = UUID("0193a000-0000-7000-8000-000000000002")
HALF_EACH_TERM = [{"term": "autumn", "share": "0.5"}, {"term": "spring", "share": "0.5"}]
STATE_COUNCIL_2025 = "国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号)"


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(d)).isoformat() for d in range((last - first).days + 1)]


def seed() -> None:
    """National defaults of domain.md §4.1, each with its source; UNCONF amounts get no row."""
    programme = sa.table(
        "programme",
        *(
            sa.column(name, kind)
            for name, kind in [
                ("id", sa.Uuid()),
                ("code", sa.String()),
                ("version", sa.Integer()),
                ("name", sa.String()),
                ("kind", sa.String()),
                ("scope_code", sa.String()),
                ("benefit", sa.String()),
                ("auto", sa.Boolean()),
                ("eligible_categories", sa.JSON()),
                ("publicity_shows_category", sa.Boolean()),
                ("effective_from", sa.Date()),
                ("source", sa.String()),
                ("changed_by", sa.String()),
                ("created_at", sa.DateTime(timezone=True)),
            ]
        ),
    )
    base = {"version": 1, "publicity_shows_category": False, "changed_by": "seed:a0004"}
    rows = [
        {
            "code": "living_subsidy",
            "name": "家庭经济困难寄宿生及非寄宿生生活补助 (两免一补)",
            "kind": "national",
            "scope_code": "",
            "benefit": "cash",
            "auto": True,
            "eligible_categories": ALL_CATEGORIES,
            "effective_from": date(2019, 9, 1),
            "source": "domain.md §4.1: 两免一补 living subsidy, NAT standard restated by counties "
            "(SEC); 免申即享 from agency categories, the school panel still decides (§4.3)",
        },
        {
            "code": "nutrition_programme",
            "name": "农村义务教育学生营养改善计划",
            "kind": "national",
            "scope_code": "",
            "benefit": "in_kind",
            "auto": False,
            "eligible_categories": [],
            "effective_from": date(2021, 9, 1),
            "source": "domain.md §4.1: 5 yuan per pupil per school day since autumn 2021 "
            "(NAT, SEC; seed 000); every pupil of a participating area",
        },
        {
            "code": "free_textbooks",
            "name": "免费提供国家课程教科书",
            "kind": "national",
            "scope_code": "",
            "benefit": "in_kind",
            "auto": False,
            "eligible_categories": [],
            "effective_from": date(2019, 9, 1),
            "source": "domain.md §4.1: 两免一补 FIXED items, all pupils (NAT, SEC)",
        },
        {
            "code": "tuition_fee_waiver",
            "name": "免除学杂费",
            "kind": "national",
            "scope_code": "",
            "benefit": "in_kind",
            "auto": False,
            "eligible_categories": [],
            "effective_from": date(2019, 9, 1),
            "source": "domain.md §4.1: 两免一补 FIXED items, all pupils (NAT, SEC)",
        },
        {
            "code": "lodging_subsidy",
            "name": "寄宿生住宿费补助 (两免两补)",
            "kind": "local",
            "scope_code": "15",
            "benefit": "cash",
            "auto": False,
            "eligible_categories": [],
            "effective_from": date(2019, 9, 1),
            "source": "domain.md §4.1: 两免两补 lodging subsidy for boarders (PROV-NM, seed 000); "
            "amount UNCONF: a county publishes its standard before any award",
        },
        {
            "code": "disabled_pupil_subsidy",
            "name": "残疾学生资助 (学习用品、康复训练、交通补助)",
            "kind": "local",
            "scope_code": "15",
            "benefit": "cash",
            "auto": False,
            "eligible_categories": ["disabled_student"],
            "effective_from": date(2019, 9, 1),
            "source": "domain.md §4.1: disabled pupils (PROV-NM, seed 000; seed 001); amounts "
            "UNCONF: a county publishes its standard before any award",
        },
    ]
    op.bulk_insert(
        programme,
        [
            {
                **base,
                **row,
                "id": UUID(int=0x0193A000_0000_7000_8000_000000000100 + i),
                "created_at": SEEDED,
            }
            for i, row in enumerate(rows)
        ],
    )
    standard = sa.table(
        "programme_standard",
        *(
            sa.column(name, kind)
            for name, kind in [
                ("id", sa.Uuid()),
                ("programme_code", sa.String()),
                ("scope_code", sa.String()),
                ("effective_from", sa.Date()),
                ("unit", sa.String()),
                ("days_per_year", sa.Integer()),
                ("rates", sa.JSON()),
                ("tiers", sa.JSON()),
                ("payment_schedule", sa.JSON()),
                ("funding_shares", sa.JSON()),
                ("source", sa.String()),
                ("evidence", sa.String()),
                ("created_by", sa.String()),
                ("created_at", sa.DateTime(timezone=True)),
            ]
        ),
    )
    op.bulk_insert(
        standard,
        [
            {
                "id": LIVING_SUBSIDY_2019,
                "programme_code": "living_subsidy",
                "scope_code": "",
                "effective_from": date(2019, 9, 1),
                "unit": "per_year",
                "days_per_year": None,
                "rates": [
                    {"level": "primary", "boarding": True, "amount_yuan": "1000"},
                    {"level": "junior", "boarding": True, "amount_yuan": "1250"},
                    {"level": "primary", "boarding": False, "amount_yuan": "500"},
                    {"level": "junior", "boarding": False, "amount_yuan": "625"},
                ],
                "tiers": [],
                "payment_schedule": HALF_EACH_TERM,
                "funding_shares": {},
                "source": "domain.md §4.1: boarders primary 1000 / junior 1250 yuan/yr; "
                "non-boarders 50 % (non_boarder_factor=0.5) since autumn 2019 (NAT, SEC)",
                "evidence": "SEC",
                "created_by": "seed:a0004",
                "created_at": SEEDED,
            },
            {
                "id": NUTRITION_2021,
                "programme_code": "nutrition_programme",
                "scope_code": "",
                "effective_from": date(2021, 9, 1),
                "unit": "per_day",
                "days_per_year": 200,
                "rates": [{"level": None, "boarding": None, "amount_yuan": "5"}],
                "tiers": [],
                "payment_schedule": HALF_EACH_TERM,
                "funding_shares": {},
                "source": "domain.md §4.1: 5 yuan per pupil per school day since autumn 2021 "
                "(NAT, SEC); 200 days/yr → 1000 yuan (DERIVED); national pilot areas centrally "
                "funded, local pilots a 4-yuan central award",
                "evidence": "SEC",
                "created_by": "seed:a0004",
                "created_at": SEEDED,
            },
        ],
    )
    calendar = sa.table(
        "work_calendar",
        sa.column("year", sa.Integer()),
        sa.column("holidays", sa.JSON()),
        sa.column("working_days", sa.JSON()),
        sa.column("source", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("changed_by", sa.String()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    holidays_2025 = [
        "2025-01-01",
        *_days(date(2025, 1, 28), date(2025, 2, 4)),  # 春节
        *_days(date(2025, 4, 4), date(2025, 4, 6)),  # 清明
        *_days(date(2025, 5, 1), date(2025, 5, 5)),  # 劳动节
        *_days(date(2025, 5, 31), date(2025, 6, 2)),  # 端午
        *_days(date(2025, 10, 1), date(2025, 10, 8)),  # 国庆 + 中秋
    ]
    op.bulk_insert(
        calendar,
        [
            {
                "year": 2025,
                "holidays": holidays_2025,
                "working_days": [
                    "2025-01-26",
                    "2025-02-08",
                    "2025-04-27",
                    "2025-09-28",
                    "2025-10-11",
                ],
                "source": STATE_COUNCIL_2025,
                "version": 1,
                "changed_by": "seed:a0004",
                "updated_at": SEEDED,
            }
        ],
    )
