"""Teacher registry use-cases: change the registry, recompute the affected schools' counts
set-based (`teachers.stats`), and stage the events, all in the caller's transaction."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.staffing import (
    TeacherData,
    TeacherMoved,
    TeacherMovedData,
    TeacherRegistered,
)
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.i18n import t
from junheng_kit.identifiers import citizen_id_gender
from junheng_kit.messaging import add_event
from junheng_kit.problems import Conflict, FieldError, RuleViolated
from junheng_kit.timeutil import utcnow
from staffing.teachers import repository, rules, stats
from staffing.teachers.codes import Gender, Section, TeacherStatus
from staffing.teachers.models import (
    TEACHER_IN_ONE_SCHOOL,
    TEACHER_REGISTERED_DETAIL,
    RuralServicePeriod,
    SchoolRurality,
    Teacher,
    TeacherAssignment,
    citizen_id_index,
)
from staffing.teachers.repository import SchoolFacts, TeacherRepository
from staffing.teachers.schemas import (
    AssignmentRead,
    MoveCreate,
    RuralPeriod,
    TeacherCreate,
    TeacherHistory,
    TeacherQualification,
    TeacherUpdate,
)


def teacher_data(teacher: Teacher) -> TeacherData:
    return TeacherData(
        teacher_id=str(teacher.id),
        school_code=teacher.school_code,
        county_code=teacher.county_code,
        section=teacher.section.value,
        post_type=teacher.post_type.value,
        main_subject=teacher.main_subject,
        title=teacher.title,
        degree=teacher.degree,
        backbone_level=teacher.backbone_level,
        staffing_status=teacher.staffing_status.value,
        status=teacher.status.value,
        school_joined_on=teacher.school_joined_on,
        version=teacher.version,
        leadership_post=teacher.leadership_post.value if teacher.leadership_post else None,
        teacher_qualification_type=teacher.teacher_qualification_type,
        teacher_qualification_subject=teacher.teacher_qualification_subject,
    )


def qualification_columns(qualification: TeacherQualification | None) -> dict[str, str | None]:
    """The certificate as the teacher's three columns (all null: none recorded)."""
    return {
        "teacher_qualification_type": qualification.type if qualification else None,
        "teacher_qualification_number": qualification.number if qualification else None,
        "teacher_qualification_subject": qualification.subject if qualification else None,
    }


async def known_school(
    session: AsyncSession, principal: Principal, school_code: str, *, field: str
) -> SchoolFacts:
    """A school of the registry copy inside the caller's jurisdiction, or 422/403 naming it."""
    facts = (await repository.schools(session, [school_code])).get(school_code)
    if facts is None:
        raise RuleViolated(
            t(
                f"学校 {school_code} 不在学校名录中",
                f"school {school_code} is not in the school registry",
            ),
            FieldError(
                field,
                "school_registered",
                t("请先在招生服务中登记该学校", "register the school in enrollment first"),
            ),
        )
    principal.require_jurisdiction(facts.county_code, field=field)
    return facts


def _require_section(facts: SchoolFacts, section: Section, *, field: str) -> None:
    error = rules.section_error(facts.levels, section, field=field)
    if error is not None:
        raise RuleViolated(
            t("该学校不设该学段", "the school does not teach that 学段 (school level)"), error
        )


async def register_teacher(
    session: AsyncSession, principal: Principal, *, request: TeacherCreate
) -> Teacher:
    """教师登记: enter a teacher in the registry at a school and announce it."""
    facts = await known_school(session, principal, request.school_code, field="school_code")
    _require_section(facts, request.section, field="section")
    errors = [
        e
        for e in (
            rules.posting_dates_error(request.hire_date, request.school_joined_on),
            rules.subjects_error(request.post_type, request.subjects),
        )
        if e is not None
    ]
    if errors:
        raise RuleViolated(t("教师记录不一致", "the teacher's record is inconsistent"), *errors)
    repository_ = TeacherRepository(session)
    existing = await repository_.find_by_citizen_id(request.citizen_id)
    if existing is not None:
        active = existing.status == TeacherStatus.ACTIVE
        raise Conflict(
            TEACHER_REGISTERED_DETAIL,
            FieldError(
                "citizen_id",
                TEACHER_IN_ONE_SCHOOL.rule if active else "citizen_id_registered",
                t(f"已登记为教师 {existing.id}", f"registered as teacher {existing.id}")
                + (
                    t("；", "; ") + TEACHER_IN_ONE_SCHOOL.message
                    if active
                    else t("；请用 PATCH 修改", "; PATCH it")
                ),
            ),
        )
    teacher = Teacher(
        citizen_id=request.citizen_id,
        citizen_id_index=citizen_id_index(request.citizen_id),
        name=request.name,
        gender=request.gender or Gender(citizen_id_gender(request.citizen_id)),
        birth_date=request.birth_date,
        school_code=request.school_code,
        county_code=facts.county_code,
        section=request.section,
        school_joined_on=request.school_joined_on,
        post_type=request.post_type,
        main_subject=request.subjects[0] if request.subjects else None,
        subjects=list(request.subjects),
        title=request.title,
        degree=request.degree,
        backbone_level=request.backbone_level,
        staffing_status=request.staffing_status,
        hire_date=request.hire_date,
        status=request.status,
        leadership_post=request.leadership_post,
        **qualification_columns(request.teacher_qualification),
    )
    repository_.add(teacher)
    await session.flush()  # id and version assigned; the unique citizen ID checked
    session.add(
        TeacherAssignment(
            teacher_id=teacher.id,
            sequence=1,
            school_code=teacher.school_code,
            county_code=teacher.county_code,
            section=teacher.section,
            started_on=teacher.school_joined_on,
            reason="registered",
            recorded_by=principal.client_id,
        )
    )
    for period in request.rural_service:
        session.add(
            RuralServicePeriod(
                teacher_id=teacher.id,
                school_name=period.school_name,
                started_on=period.started_on,
                ended_on=period.ended_on,
            )
        )
    await session.flush()
    add_event(
        session,
        TeacherRegistered.of(
            subject=str(teacher.id), jurisdiction=teacher.county_code, data=teacher_data(teacher)
        ),
    )
    await stats.refresh_school_stats(session, [teacher.school_code])
    return teacher


async def update_teacher(
    session: AsyncSession,
    principal: Principal,
    *,
    teacher_id: UUID,
    request: TeacherUpdate,
    if_match: int | None,
) -> Teacher:
    """教师信息变更: change attributes (not the school: that is a move); `If-Match` guards
    against lost updates."""
    teacher = await TeacherRepository(session).get(teacher_id, within=principal.jurisdiction)
    require_version(t(f"教师 {teacher_id}", f"teacher {teacher_id}"), teacher.version, if_match)
    changes = request.model_dump(exclude_unset=True)
    if not changes:
        return teacher
    for field in ("name", "post_type", "degree", "staffing_status", "hire_date", "status"):
        if field in changes and changes[field] is None:
            raise RuleViolated(
                t(f"{field} 不能清空", f"{field} cannot be cleared"),
                FieldError(field, "required", t("请给出一个值", "give a value")),
            )
    if "section" in changes and changes["section"] is not None:
        facts = await known_school(session, principal, teacher.school_code, field="section")
        _require_section(facts, changes["section"], field="section")
    for key, value in changes.items():
        if key == "subjects":
            teacher.subjects = list(value or [])
            teacher.main_subject = teacher.subjects[0] if teacher.subjects else None
        elif key == "teacher_qualification":
            for column, stored in qualification_columns(request.teacher_qualification).items():
                setattr(teacher, column, stored)
        elif key != "section" or value is not None:
            setattr(teacher, key, value)
    errors = [
        e
        for e in (
            rules.posting_dates_error(teacher.hire_date, teacher.school_joined_on),
            rules.subjects_error(teacher.post_type, teacher.subjects),
        )
        if e is not None
    ]
    if errors:
        raise RuleViolated(
            t("教师记录将不一致", "the teacher's record would be inconsistent"), *errors
        )
    teacher.updated_at = utcnow()
    await session.flush()  # version incremented by the mapper
    await stats.refresh_school_stats(session, [teacher.school_code])
    return teacher


async def move_teacher(
    session: AsyncSession, principal: Principal, *, teacher_id: UUID, request: MoveCreate
) -> Teacher:
    """调动: close the current posting and open one at another school; the history keeps both."""
    repository_ = TeacherRepository(session)
    teacher = await repository_.get(teacher_id, within=principal.jurisdiction)
    rules.check_move(
        status=teacher.status,
        current_school=teacher.school_code,
        current_start=teacher.school_joined_on,
        to_school=request.to_school_code,
        moved_on=request.moved_on,
    )
    facts = await known_school(session, principal, request.to_school_code, field="to_school_code")
    offered = rules.sections_offered(facts.levels)
    section = request.section or (teacher.section if teacher.section in offered else None)
    if section is None and len(offered) == 1:
        section = offered[0]
    if section is None:
        raise RuleViolated(
            t("请说明教师加入的学段", "say which 学段 (school level) the teacher joins"),
            FieldError(
                "section",
                "section_offered_by_school",
                t("该学校没有此学段", "the school has no such 学段 (school level)"),
            ),
        )
    _require_section(facts, section, field="section")
    sequence = (await repository_.last_sequences([teacher.id])).get(teacher.id, 0) + 1
    from_school, from_county = teacher.school_code, teacher.county_code
    session.add(
        TeacherAssignment(
            teacher_id=teacher.id,
            sequence=sequence,
            school_code=request.to_school_code,
            county_code=facts.county_code,
            section=section,
            started_on=request.moved_on,
            reason=request.reason,
            plan_reference=request.plan_reference,
            recorded_by=principal.client_id,
        )
    )
    teacher.school_code = request.to_school_code
    teacher.county_code = facts.county_code
    teacher.section = section
    teacher.school_joined_on = request.moved_on
    teacher.updated_at = utcnow()
    await session.flush()  # a concurrent move takes the same sequence and fails here
    add_event(
        session,
        TeacherMoved.of(
            subject=str(teacher.id),
            jurisdiction=teacher.county_code,
            data=TeacherMovedData(
                teacher_id=str(teacher.id),
                from_school_code=from_school,
                from_county_code=from_county,
                to_school_code=teacher.school_code,
                to_county_code=teacher.county_code,
                section=section.value,
                moved_on=request.moved_on,
                reason=request.reason,
                plan_reference=request.plan_reference,
                version=teacher.version,
            ),
        ),
    )
    await stats.refresh_school_stats(session, [from_school, teacher.school_code])
    return teacher


async def teacher_history(
    session: AsyncSession, principal: Principal, *, teacher_id: UUID
) -> TeacherHistory:
    repository_ = TeacherRepository(session)
    teacher = await repository_.get(teacher_id, within=principal.jurisdiction)
    postings = await repository_.assignments(teacher.id)
    rural = await repository.rural_schools(session, [p.school_code for p in postings])
    imported = (await repository_.imported_rural_periods([teacher.id])).get(teacher.id, [])
    days = await repository.rural_service_days(session, [teacher.id], on=stats.registry_today())
    return TeacherHistory(
        teacher_id=teacher.id,
        assignments=[
            AssignmentRead(
                sequence=p.sequence,
                school_code=p.school_code,
                county_code=p.county_code,
                section=p.section,
                started_on=p.started_on,
                ended_on=postings[i + 1].started_on if i + 1 < len(postings) else None,
                reason=p.reason,
                plan_reference=p.plan_reference,
                is_rural=p.school_code in rural,
                recorded_at=p.recorded_at,
            )
            for i, p in enumerate(postings)
        ],
        earlier_rural_service=[
            RuralPeriod(school_name=p.school_name, started_on=p.started_on, ended_on=p.ended_on)
            for p in imported
        ],
        rural_service_days=days[teacher.id],
    )


async def set_rurality(
    session: AsyncSession, principal: Principal, *, school_code: str, is_rural: bool
) -> SchoolRurality:
    """乡村学校: the bureau marks a school rural (or not) for rural-service years."""
    await known_school(session, principal, school_code, field="school_code")
    entry = await session.get(SchoolRurality, school_code)
    if entry is None:
        entry = SchoolRurality(school_code=school_code, is_rural=is_rural)
        session.add(entry)
    entry.is_rural, entry.set_by, entry.set_at = is_rural, principal.client_id, utcnow()
    await session.flush()
    return entry


async def replace_imported_rural_periods(
    session: AsyncSession, periods: dict[UUID, list[RuralPeriod]]
) -> None:
    """The sheet's earlier rural service replaces what earlier imports gave for those teachers."""
    ids = list(periods)
    for part in repository.chunks(ids):
        await session.execute(
            delete(RuralServicePeriod).where(RuralServicePeriod.teacher_id.in_(part))
        )
    rows = [
        {
            "teacher_id": teacher_id,
            "school_name": p.school_name,
            "started_on": p.started_on,
            "ended_on": p.ended_on,
            "recorded_at": utcnow(),
        }
        for teacher_id, items in periods.items()
        for p in items
    ]
    if rows:
        await session.execute(insert(RuralServicePeriod), rows)
