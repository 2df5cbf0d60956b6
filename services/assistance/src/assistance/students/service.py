"""Roster use-cases: register, import (sheet.py), placements from enrollment's admissions; the
boarding rule's flags and county counts (policy.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.students import policy, rules
from assistance.students.models import (
    NUMBER_ON_ROSTER,
    NUMBER_ON_ROSTER_DETAIL,
    ON_ROSTER,
    ON_ROSTER_DETAIL,
    PendingPlacement,
    Student,
    citizen_id_index,
    name_born_index,
    student_number_index,
)
from assistance.students.repository import StudentRepository
from assistance.students.rules import school_error
from assistance.students.schemas import (
    BoardingRuleRead,
    CountyRosterRead,
    RosterSummaryRead,
    StudentCreate,
    StudentFlag,
    StudentSource,
    StudentStatus,
)
from junheng_contracts.enrollment import AdmissionConfirmedData
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.identifiers import citizen_id_birth_date, citizen_id_gender, student_key
from junheng_kit.problems import Conflict, RuleViolated
from junheng_kit.timeutil import utcnow


def new_row(request: StudentCreate, *, county_code: str, key: str) -> dict[str, object]:
    """Column values of a new roster row; gender and birth date come from the ID; the blind
    indexes given (a bulk insert then computes no column default per row)."""
    now = utcnow()
    number = request.student_number
    return {
        "citizen_id": request.citizen_id,
        "citizen_id_index": citizen_id_index(request.citizen_id),
        "student_key": key,
        "student_number": number,
        "student_number_index": None if number is None else student_number_index(number),
        "name": request.name,
        "name_born_index": name_born_index(request.name, request.citizen_id),
        "gender": citizen_id_gender(request.citizen_id),
        "birth_date": citizen_id_birth_date(request.citizen_id),
        "county_code": county_code,
        "school_code": request.school_code,
        "level": request.level.value,
        "grade": request.grade,
        "boarding": request.boarding,
        "status": StudentStatus.ENROLLED.value,
        "source": StudentSource.IMPORT.value,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def with_placement(row: dict[str, object], placement: PendingPlacement) -> dict[str, object]:
    """A waiting 录取确认 decides the school, 学段 and grade of a child the roster now brings."""
    return {
        **row,
        "county_code": placement.county_code,
        "school_code": placement.school_code,
        "level": placement.level,
        "grade": placement.grade,
        "source": StudentSource.ENROLLMENT.value,
    }


async def register_student(
    session: AsyncSession, principal: Principal, *, request: StudentCreate, pseudonym_key: bytes
) -> Student:
    """Put one child on the roster; a 公民身份号码 or 学籍号 already there is 409 (imports
    update)."""
    repository = StudentRepository(session)
    school = (await repository.schools([request.school_code])).get(request.school_code)
    if school is not None:
        principal.require_jurisdiction(school.county_code, field="school_code")
    error = school_error(school, request.level)
    if school is None or error is not None:
        raise RuleViolated(
            t("该学生不能安排在此学校", "the student cannot be placed at this school"),
            *filter(None, [error]),
        )
    if await repository.existing([request.citizen_id]):
        raise Conflict(ON_ROSTER_DETAIL, ON_ROSTER)
    if request.student_number and await repository.holders([request.student_number]):
        raise Conflict(NUMBER_ON_ROSTER_DETAIL, NUMBER_ON_ROSTER)
    key = student_key(pseudonym_key, request.citizen_id)
    row = new_row(request, county_code=school.county_code, key=key)
    placement = (await repository.pending([key])).get(key)
    if placement is not None:
        row = with_placement(row, placement)
        await repository.drop_pending([key])
    student = Student(**row)
    session.add(student)
    await session.flush()
    return student


async def apply_admission(
    session: AsyncSession, data: AdmissionConfirmedData, *, event_id: str
) -> None:
    """录取确认 from enrollment: move the roster row with that key, or keep it pending.

    A placement for an earlier year than the one already pending changes nothing (reordering).
    """
    repository = StudentRepository(session)
    student = await repository.by_key(data.student_key)
    if student is not None:
        student.county_code = data.county_code
        student.school_code = data.school_code
        student.level = data.level
        student.grade = data.grade
        student.status = StudentStatus.ENROLLED.value
        student.source = StudentSource.ENROLLMENT.value
        student.version += 1
        await session.flush()
        return
    pending = (await repository.pending([data.student_key])).get(data.student_key)
    if pending is not None and pending.year > data.year:
        return
    values = {
        "application_id": data.application_id,
        "county_code": data.county_code,
        "school_code": data.school_code,
        "level": data.level,
        "grade": data.grade,
        "year": data.year,
        "event_id": event_id,
        "received_at": utcnow(),
    }
    if pending is None:
        session.add(PendingPlacement(student_key=data.student_key, **values))
    else:
        for name, value in values.items():
            setattr(pending, name, value)
    await session.flush()


def flags_of(student: Student, *, on: date) -> list[StudentFlag]:
    """The row's flags under the rules in force for its county on `on`."""
    return rules.student_flags(
        status=student.status,
        level=student.level,
        grade=student.grade,
        boarding=student.boarding,
        rule=policy.rule_in_force(student.county_code, on),
    )


def young_boarder_filter(flag: StudentFlag | None, *, on: date) -> list[policy.ScopeBound] | None:
    """The list filter of `flag`: the boarding rules in force on `on` as county ranges."""
    return policy.bounds_in_force(on) if flag == StudentFlag.YOUNG_BOARDER else None


def boarding_rule_read(rule: policy.BoardingRule) -> BoardingRuleRead:
    return BoardingRuleRead(
        scope_code=rule.scope,
        boarding_min_grade=rule.boarding_min_grade,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        source=rule.source,
        evidence=rule.evidence,
    )


async def roster_summary(
    session: AsyncSession, principal: Principal, *, county_code: str | None, on: date
) -> RosterSummaryRead:
    """Per county in the caller's jurisdiction: enrolled pupils, boarders and young boarders
    under the boarding rule in force on `on` (seed 000 in Inner Mongolia; none elsewhere)."""
    if county_code is not None:
        principal.require_jurisdiction(county_code, field="county_code")
    counts = await StudentRepository(session).boarding_counts(
        within=principal.jurisdiction, county_code=county_code
    )
    in_force = {c.county_code: policy.rule_in_force(c.county_code, on) for c in counts}
    return RosterSummaryRead(
        on=on,
        counties=[
            CountyRosterRead(
                county_code=c.county_code,
                enrolled=c.enrolled,
                boarders=c.boarders,
                young_boarders=c.young_boarders,
                boarding_rule=boarding_rule_read(c.rule) if c.rule is not None else None,
            )
            for c in rules.county_boarding(counts, in_force)
        ],
    )
