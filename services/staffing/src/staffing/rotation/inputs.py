"""What a rotation plan reads from the database, as the rules take it: the county's schools
(pupils from the enrolment, area, free approved posts, each section's indicator counts), its
teachers (pool criteria and indicator contributions), the request's subject needs checked and
in codes, and the bureau's fixed moves."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.i18n import t as tt
from junheng_kit.problems import FieldError, RuleViolated
from staffing.quotas import repository as quotas
from staffing.rotation import rules
from staffing.rotation.repository import CountyTeacher, county_teachers
from staffing.rotation.schemas import RotationPlanCreate
from staffing.teachers import rules as teacher_rules
from staffing.teachers.codes import SUBJECT_CODES, PostType, StaffingStatus
from staffing.teachers.repository import rural_schools


@dataclass(frozen=True, slots=True)
class PlanInputs:
    teachers: list[rules.RotationTeacher]
    schools: list[rules.RotationSchool]
    names: dict[str, str]  # teacher id → name, for the answer
    warnings: list[str]  # schools that receive nobody, and why
    subject_needs: dict[str, dict[str, int]] | None
    fixed_moves: list[rules.FixedMove]


async def read_inputs(
    session: AsyncSession,
    county_code: str,
    request: RotationPlanCreate,
    on: date,
    retirement_age: dict[str, int],
) -> PlanInputs:
    """The county's schools and the teachers at them on `on`; 422 for an unknown code in the
    subject needs."""
    schools, warnings = await _county_schools(session, county_code, request.year)
    known = {s.school_code for s in schools}
    staff = [t for t in await county_teachers(session, county_code) if t.school_code in known]
    _check_subject_needs(request, known)
    teachers = _rotation_teachers(staff, on, retirement_age)
    return PlanInputs(
        teachers=teachers,
        schools=_with_counts(schools, teachers, staff),
        names={str(t.id): t.name for t in staff},
        warnings=warnings,
        subject_needs=_subject_needs(request),
        fixed_moves=[
            rules.FixedMove(str(m.teacher_id), m.to_school_code, m.pooled, m.pooling_reference)
            for m in request.fixed_moves
        ],
    )


def _check_subject_needs(request: RotationPlanCreate, known: set[str]) -> None:
    """Every school of the needs is one of the county's; every subject a code or a name."""
    errors = []
    for code, by_subject in (request.subject_needs or {}).items():
        if code not in known:
            errors.append(
                FieldError(
                    f"subject_needs.{code}",
                    "school_in_county",
                    tt(f"{code} 不是本县的学校", f"{code} is not a school of the county"),
                )
            )
        for subject in by_subject:
            if subject not in SUBJECT_CODES:
                errors.append(
                    FieldError(
                        f"subject_needs.{code}.{subject}",
                        "subject_code",
                        tt(
                            f"{subject!r} 不是学科代码或名称",
                            f"{subject!r} is not a subject code or name",
                        ),
                    )
                )
    if errors:
        raise RuleViolated(
            tt("学科需求中有未知代码", "the subject needs contain an unknown code"), *errors
        )


def _subject_needs(request: RotationPlanCreate) -> dict[str, dict[str, int]] | None:
    """The needs with subjects as codes (a code and its name given both add up)."""
    if request.subject_needs is None:
        return None
    out: dict[str, dict[str, int]] = {}
    for code, by_subject in request.subject_needs.items():
        merged: Counter[str] = Counter()
        for subject, count in by_subject.items():
            merged[SUBJECT_CODES[subject]] += count
        out[code] = dict(merged)
    return out


async def _county_schools(
    session: AsyncSession, county_code: str, year: int
) -> tuple[list[rules.RotationSchool], list[str]]:
    """The county's schools with pupils (enrolment), area, free approved posts."""
    schools = await quotas.county_schools(session, county_code)
    entered = {e.school_code: e for e in await quotas.enrolments(session, county_code, year)}
    approved = await quotas.approved_posts(session, county_code, year)
    staff = await quotas.staff_counts(session, county_code)
    rural = await rural_schools(session, [s.school_code for s in schools])
    warnings = []
    out = []
    for school in schools:
        entry = entered.get(school.school_code)
        if entry is None:
            warnings.append(
                f"{school.school_code}：无 {year} 年学生数，不接收交流教师 / "
                f"no enrolment for {year}, receives nobody"
            )
        area = (entry.area if entry is not None else None) or (
            "rural" if school.school_code in rural else "urban"
        )
        in_post = staff.get(school.school_code, quotas.StaffCounts()).in_post
        if school.school_code not in approved:
            warnings.append(
                f"{school.school_code}：编制台账中无核定编制，接收 0 人 / "
                "no approved posts in the ledger, receives 0"
            )
        out.append(
            rules.RotationSchool(
                school_code=school.school_code,
                area=area,  # type: ignore[arg-type]
                longitude=school.longitude,
                latitude=school.latitude,
                free_posts=approved.get(school.school_code, in_post) - in_post,
                sections={
                    "primary": rules.SectionState(entry.primary_pupils if entry else 0, (0, 0, 0)),
                    "junior": rules.SectionState(entry.junior_pupils if entry else 0, (0, 0, 0)),
                },
            )
        )
    return out, warnings


def _rotation_teachers(
    staff: list[CountyTeacher], on: date, retirement_age: dict[str, int]
) -> list[rules.RotationTeacher]:
    sets = teacher_rules.indicator_sets(on)
    out = []
    for t in staff:
        out.append(
            rules.RotationTeacher(
                teacher_id=str(t.id),
                school_code=t.school_code,
                section=t.section.value,
                subject=t.main_subject or "other",
                school_joined_on=t.school_joined_on,
                retires_on=rules.add_years(t.birth_date, retirement_age[t.gender.value]),
                is_in_quota=t.staffing_status == StaffingStatus.IN_QUOTA,
                is_full_time=t.post_type == PostType.FULL_TIME,
                is_backbone=t.backbone_level in sets.backbone_levels,
                above_required_degree=t.degree in sets.qualifying_degrees[t.section],
                is_pe_arts=t.main_subject in sets.pe_arts_subjects,
                leadership_post=t.leadership_post.value if t.leadership_post else None,
            )
        )
    return out


def _with_counts(
    schools: list[rules.RotationSchool],
    teachers: list[rules.RotationTeacher],
    staff: list[CountyTeacher],
) -> list[rules.RotationSchool]:
    """Indicator counts per school section over 专任教师 in post (借调 excluded), as the
    registry counts them for staffing.school_teacher_stats.changed."""
    counts: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for teacher, row in zip(teachers, staff, strict=True):
        if row.post_type != PostType.FULL_TIME or row.staffing_status == StaffingStatus.SECONDED:
            continue
        tally = counts[(teacher.school_code, teacher.section)]
        for k, adds in enumerate(teacher.contributes):
            tally[k] += int(adds)
    return [
        rules.RotationSchool(
            school_code=s.school_code,
            area=s.area,
            longitude=s.longitude,
            latitude=s.latitude,
            free_posts=s.free_posts,
            sections={
                section: rules.SectionState(state.pupils, tuple(counts[(s.school_code, section)]))  # type: ignore[arg-type]
                for section, state in s.sections.items()
            },
        )
        for s in schools
    ]
