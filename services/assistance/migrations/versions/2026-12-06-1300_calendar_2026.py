"""calendar 2026

Revision ID: a0008
Revises: a0007
Create Date: 2026-12-06 13:00:00

Seeds the 2026 working calendar (工作日历) from the State Council's notice of 2025-11-04: 公示
periods in 2026 count its holidays and 调休 working weekends. A year already stored (a bureau
entered it through PUT /v1/calendars/2026) is left as it is.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "a0008"
down_revision: str | None = "a0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE_COUNCIL_2026 = "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）"
SEEDED = datetime(2026, 12, 6, tzinfo=UTC)


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(d)).isoformat() for d in range((last - first).days + 1)]


HOLIDAYS_2026 = [
    *_days(date(2026, 1, 1), date(2026, 1, 3)),  # 元旦
    *_days(date(2026, 2, 15), date(2026, 2, 23)),  # 春节
    *_days(date(2026, 4, 4), date(2026, 4, 6)),  # 清明节
    *_days(date(2026, 5, 1), date(2026, 5, 5)),  # 劳动节
    *_days(date(2026, 6, 19), date(2026, 6, 21)),  # 端午节
    *_days(date(2026, 9, 25), date(2026, 9, 27)),  # 中秋节
    *_days(date(2026, 10, 1), date(2026, 10, 7)),  # 国庆节
]
WORKING_WEEKENDS_2026 = [  # 调休上班
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
]


def upgrade() -> None:
    connection = op.get_bind()
    if connection.execute(sa.text("SELECT 1 FROM work_calendar WHERE year = 2026")).first():
        return
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
    op.bulk_insert(
        calendar,
        [
            {
                "year": 2026,
                "holidays": HOLIDAYS_2026,
                "working_days": WORKING_WEEKENDS_2026,
                "source": STATE_COUNCIL_2026,
                "version": 1,
                "changed_by": "seed:a0008",
                "updated_at": SEEDED,
            }
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM work_calendar WHERE year = 2026 AND changed_by = 'seed:a0008'"))
