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
the first of its month. In the same batch, what else holds the child's personal data: the
review items' copy of the agency list entry (citizen ID, name) and the decider's reason; the
status notices' appeal and resolution; the 公示 objections' summary and resolution; the panel's
reasons in each award's review and the reason of each step of its history; the document
reference and note of manual agency evidence, and each agency answer's citizen ID index and
sealed subject hash (已清除 where there was text, "" sealed in an encrypted column, NULL for an
index). Kept: the county, school, 学段, grade, boarding flag and status (the statistics), the
pseudonymous child key (holds by child, the family's audit view), every award with its amounts,
programme, year, school, status and dates, the outcomes and dates of notices, objections and
review items, and the agencies' categories, so counts and sums of past years stand. The lookup
ledger (`ledger_entry`) is hash-chained and append-only: its rows name the child by the
pseudonymous key only and are not rewritten.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, literal_column, select

from assistance.agencies.models import AgencyAssertion
from assistance.awards.awards.models import Award, AwardHistory
from assistance.awards.awards.rules import AwardStatus
from assistance.awards.notices.models import StatusNotice
from assistance.awards.objections.models import Objection
from assistance.db import Base
from assistance.identification.models import ReviewItem
from assistance.students.models import Student
from assistance.students.schemas import StudentStatus
from junheng_kit.retention.models import declare_tables
from junheng_kit.retention.purge import PurgeTarget, Replacement, Retention, cleared_if_set
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


def _json_text_cleared(column: str, *keys: str) -> Replacement:
    """The JSON object's text members `keys` set to 已清除 (absent, null or non-object values
    stay as they were); a function of the dialect, as `PurgeTarget.replace` takes."""

    def expression(dialect: str) -> Any:
        value = column
        if dialect == "postgresql":
            value = f"{column}::jsonb"
            for key in keys:
                value = (
                    f"(CASE WHEN jsonb_typeof({column}::jsonb -> '{key}') = 'string' THEN "
                    f"jsonb_set({value}, '{{{key}}}', to_jsonb('{CLEARED}'::text)) "
                    f"ELSE {value} END)"
                )
            return literal_column(
                f"(CASE WHEN jsonb_typeof({column}::jsonb) = 'object' THEN ({value})::json "
                f"ELSE {column} END)"
            )
        for key in keys:
            value = (
                f"(CASE WHEN json_type({column}, '$.{key}') = 'text' THEN "
                f"json_replace({value}, '$.{key}', '{CLEARED}') ELSE {value} END)"
            )
        return literal_column(value)

    return expression


def _by_award(award_id: Any) -> Any:
    """The pupil of the row's award: rows tied to an award are matched by its student."""
    return select(Award.student_id).where(Award.id == award_id).scalar_subquery()


_review = ReviewItem.__table__
_notice = StatusNotice.__table__
_objection = Objection.__table__
_award = Award.__table__
_history = AwardHistory.__table__
_assertion = AgencyAssertion.__table__
RELATED: tuple[tuple[Any, Any, dict[str, Replacement]], ...] = (
    (
        _review,
        _review.c.student_id,
        {
            "list_citizen_id": "",  # sealed by the column type
            "list_name": CLEARED,
            "reason": cleared_if_set(_review.c.reason, CLEARED),
        },
    ),
    (
        _notice,
        _notice.c.student_id,
        {
            "appeal": cleared_if_set(_notice.c.appeal, CLEARED),
            "resolution": cleared_if_set(_notice.c.resolution, CLEARED),
        },
    ),
    (
        _objection,
        _by_award(_objection.c.award_id),
        {
            "summary": CLEARED,
            "resolution": cleared_if_set(_objection.c.resolution, CLEARED),
        },
    ),
    (
        _award,
        _award.c.student_id,
        # updated_at as it was: the award did not change, its review text was cleared
        {"review": _json_text_cleared("review", "reasons"), "updated_at": _award.c.updated_at},
    ),
    (_history, _by_award(_history.c.award_id), {"reason": CLEARED}),
    (
        _assertion,
        _assertion.c.student_id,
        {
            "evidence": _json_text_cleared("evidence", "reference", "note"),
            "subject_sha256": "",  # sealed by the column type
            "citizen_id_index": None,
        },
    ),
)

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
    replace_related=RELATED,
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
