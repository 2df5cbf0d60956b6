"""保存期限 of assistance's aid files (issue 20 item 4): the retention tables, and the one kind the
purge may touch, `student.left` — the aid file of a pupil no longer on the roster (transferred
out or left) none of whose awards is still open (each rejected or paid), counted from the
pupil's last roster change (`student.updated_at`: the change that took them off; a later change
restarts the count, so the file is kept longer, never shorter), pseudonymised.

No source the project holds gives the period: domain.md says nothing of how long aid files are
kept, and the finance rules for 学生资助 archives (会计档案 periods) are the bureau's to cite — a
bureau sets the rule (PUT /v1/retention-rules/…/student.left/…, citing its document); until then
nothing is purged.

Pseudonymised on the roster row: the citizen ID, 学籍号 and name; the birth date generalised to
the first of its month. Kept: the county, school, 学段, grade, boarding flag and status (the
statistics), the pseudonymous child key (holds by child, the family's audit view) and every
award with its amounts, programme, year and school, so counts and sums of past years stand.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, literal_column, select

from assistance.awards.awards.models import Award
from assistance.awards.awards.rules import AwardStatus
from assistance.db import Base
from assistance.students.models import Student
from assistance.students.schemas import StudentStatus
from junheng_kit.retention.models import declare_tables
from junheng_kit.retention.purge import PurgeTarget, Retention
from junheng_kit.timeutil import CHINA

CLEARED = "已清除"
ENDED = (AwardStatus.REJECTED, AwardStatus.PAID)


TABLES = declare_tables(
    Base
)  # retention_rule, legal_hold, purge_record, purged_record, purge_lease
RetentionRule, LegalHold, PurgeRecord, PurgedRecord, PurgeLease = TABLES


def last_changed_by(cutoff: Any) -> ColumnElement[bool]:
    """The roster row last changed on or before the cutoff (a day in China)."""
    end = datetime.combine(cutoff + timedelta(days=1), time(0), tzinfo=CHINA)
    return Student.updated_at < end


def left_with_no_open_award() -> ColumnElement[bool]:
    open_award = exists(
        select(Award.id).where(Award.student_id == Student.id, Award.status.not_in(ENDED))
    )
    return (Student.status != StudentStatus.ENROLLED) & ~open_award


def _month_start(dialect: str) -> Any:
    if dialect == "postgresql":
        return literal_column("CAST(date_trunc('month', birth_date) AS DATE)")
    return literal_column("date(birth_date, 'start of month')")


STUDENT_LEFT = PurgeTarget(
    kind="student.left",
    table=Student.__table__,  # type: ignore[arg-type]
    key=Student.__table__.c.id,
    county=Student.__table__.c.county_code,
    student_key=Student.__table__.c.student_key,
    anchor="roster_change",
    expired=last_changed_by,
    eligible=left_with_no_open_award,
    actions=("pseudonymise",),
    replace={
        "citizen_id": "",  # sealed by the column type; the unique blind index is kept
        "student_number": None,
        "student_number_index": None,
        "name": CLEARED,
        "birth_date": _month_start,
    },
    description=(
        "已离开名册（转出或离校）且所有资助均已结束（驳回或发放完毕）的学生资助档案，自其最后一次"
        "名册变更起算。Aid files of pupils off the roster (transferred out or left) whose awards "
        "have all ended (rejected or paid), counted from their last roster change."
    ),
)

RETENTION = Retention(
    service="assistance",
    **TABLES._asdict(),
    targets=(STUDENT_LEFT,),
)
