"""Every query of the teacher registry, set-based where it touches many rows.

Functions for other staffing domains (quotas, rotation) are at the bottom: they take a session
and plain ids, and never load ORM objects row by row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import Row, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.auth import Jurisdiction
from junheng_kit.db import insert_ignoring_conflicts
from junheng_kit.i18n import t as tt
from junheng_kit.pagination import fetch_limit
from junheng_kit.problems import NotFound
from junheng_kit.school_codes import URBAN_RURAL_CLASSES
from junheng_kit.timeutil import utcnow
from staffing.schools.models import School
from staffing.teachers import rules
from staffing.teachers.codes import PostType, Section, StaffingStatus, TeacherStatus
from staffing.teachers.models import (
    RuralServicePeriod,
    SchoolRurality,
    SchoolTeacherStats,
    Teacher,
    TeacherAssignment,
    citizen_id_index,
    citizen_id_indexes,
)
from staffing.teachers.qualifications import types_not_allowing

CHUNK = 5000  # bound parameters per IN list: below SQLite's and asyncpg's limits


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class TeacherRepository:
    session: AsyncSession

    def add(self, teacher: Teacher) -> None:
        self.session.add(teacher)

    async def get(self, teacher_id: UUID, *, within: Jurisdiction) -> Teacher:
        teacher = await self.session.scalar(
            select(Teacher).where(Teacher.id == teacher_id, within.covers(Teacher.county_code))
        )
        if teacher is None:  # another county's teacher is "not found" too
            raise NotFound(tt(f"教师 {teacher_id} 不存在", f"teacher {teacher_id} not found"))
        return teacher

    async def find_by_citizen_id(self, citizen_id: str) -> Teacher | None:
        return await self.session.scalar(
            select(Teacher).where(Teacher.citizen_id_index == citizen_id_index(citizen_id))
        )

    async def postings_by_citizen_id(self, citizen_ids: Sequence[str]) -> dict[str, Row[Any]]:
        """Current posting of each registered ID: id, school, county, start, status, version —
        found by the IDs' blind indexes (nothing decrypted), keyed by the IDs as given."""
        id_of_index = dict(zip(citizen_id_indexes(citizen_ids), citizen_ids, strict=True))
        out: dict[str, Any] = {}
        for part in chunks(list(id_of_index)):
            rows = await self.session.execute(
                select(
                    Teacher.citizen_id_index,
                    Teacher.id,
                    Teacher.school_code,
                    Teacher.county_code,
                    Teacher.school_joined_on,
                    Teacher.status,
                    Teacher.version,
                ).where(Teacher.citizen_id_index.in_(part))
            )
            for row in rows:
                out[id_of_index[row.citizen_id_index]] = row
        return out

    async def page(
        self,
        *,
        within: Jurisdiction,
        county_code: str | None,
        school_code: str | None,
        status: TeacherStatus | None,
        after: UUID | None,
        limit: int,
        flag: rules.TeacherFlag | None = None,
    ) -> list[Teacher]:
        query = select(Teacher).where(within.covers(Teacher.county_code))
        if county_code:
            query = query.where(Teacher.county_code == county_code)
        if school_code:
            query = query.where(Teacher.school_code == school_code)
        if status:
            query = query.where(Teacher.status == status)
        if flag:
            query = query.where(flagged(flag))
        if after:
            query = query.where(Teacher.id > after)
        return list(
            await self.session.scalars(query.order_by(Teacher.id).limit(fetch_limit(limit)))
        )

    async def export_rows(self, *, within: Jurisdiction, county_code: str | None) -> list[Teacher]:
        query = select(Teacher).where(within.covers(Teacher.county_code))
        if county_code:
            query = query.where(Teacher.county_code == county_code)
        return list(await self.session.scalars(query.order_by(Teacher.school_code, Teacher.id)))

    async def assignments(self, teacher_id: UUID) -> list[TeacherAssignment]:
        return list(
            await self.session.scalars(
                select(TeacherAssignment)
                .where(TeacherAssignment.teacher_id == teacher_id)
                .order_by(TeacherAssignment.sequence)
            )
        )

    async def last_sequences(self, teacher_ids: Sequence[UUID]) -> dict[UUID, int]:
        out: dict[UUID, int] = {}
        for part in chunks(teacher_ids):
            rows = await self.session.execute(
                select(TeacherAssignment.teacher_id, func.max(TeacherAssignment.sequence))
                .where(TeacherAssignment.teacher_id.in_(part))
                .group_by(TeacherAssignment.teacher_id)
            )
            out.update({teacher_id: int(sequence) for teacher_id, sequence in rows})
        return out

    async def imported_rural_periods(
        self, teacher_ids: Sequence[UUID]
    ) -> dict[UUID, list[RuralServicePeriod]]:
        out: dict[UUID, list[RuralServicePeriod]] = defaultdict(list)
        for part in chunks(teacher_ids):
            periods = await self.session.scalars(
                select(RuralServicePeriod)
                .where(RuralServicePeriod.teacher_id.in_(part))
                .order_by(RuralServicePeriod.teacher_id, RuralServicePeriod.started_on)
            )
            for period in periods:
                out[period.teacher_id].append(period)
        return out


def in_post() -> Any:
    """`rules.counts_as_full_time` as a WHERE clause: 专任教师 in post (active, not 借调)."""
    return and_(
        Teacher.status == TeacherStatus.ACTIVE,
        Teacher.post_type == PostType.FULL_TIME,
        Teacher.staffing_status != StaffingStatus.SECONDED,
    )


def flagged(flag: rules.TeacherFlag) -> Any:
    """`rules.registry_flags` as a WHERE clause: the teachers that carry `flag`."""
    if flag == rules.TeacherFlag.NO_TEACHER_QUALIFICATION:
        return and_(in_post(), Teacher.teacher_qualification_type.is_(None))
    return and_(
        in_post(),
        or_(
            *[
                and_(
                    Teacher.section == section,
                    Teacher.teacher_qualification_type.in_(sorted(types_not_allowing(section))),
                )
                for section in Section
            ]
        ),
    )


@dataclass(frozen=True, slots=True)
class SchoolFacts:
    county_code: str
    levels: list[str]


async def schools(session: AsyncSession, codes: Sequence[str]) -> dict[str, SchoolFacts]:
    """The registry copy's county and levels of each known school among `codes`."""
    out: dict[str, SchoolFacts] = {}
    for part in chunks(sorted(set(codes))):
        rows = await session.execute(
            select(School.school_code, School.county_code, School.levels).where(
                School.school_code.in_(part)
            )
        )
        out.update({code: SchoolFacts(county, list(levels)) for code, county, levels in rows})
    return out


def rural_expression() -> Any:
    """Whether a school counts as rural, in SQL: its 城乡分类代码's area where the registry copy
    has one (乡村 210/220), else the bureau's flag (`school_rurality`); needs both outer-joined."""
    rural_codes = sorted(c.code for c in URBAN_RURAL_CLASSES if c.area == "rural")
    return case(
        (School.urban_rural_code.in_(rural_codes), True),
        (School.urban_rural_code.is_not(None), False),
        else_=func.coalesce(SchoolRurality.is_rural, False),
    )


async def rural_schools(session: AsyncSession, codes: Sequence[str]) -> set[str]:
    """The schools among `codes` that count as rural (`rural_expression`)."""
    out: set[str] = set()
    for part in chunks(sorted(set(codes))):
        rows = await session.execute(
            select(School.school_code, rural_expression())
            .outerjoin(SchoolRurality, SchoolRurality.school_code == School.school_code)
            .where(School.school_code.in_(part))
        )
        out.update(code for code, rural in rows if rural)
    return out


@dataclass(frozen=True, slots=True)
class SectionCounts:
    full_time_teachers: int
    teachers_above_required_degree: int
    backbone_teachers: int
    pe_arts_teachers: int


ZERO = SectionCounts(0, 0, 0, 0)


def _counts_query(sets: rules.IndicatorSets) -> Any:
    """One GROUP BY over 专任教师 in post (domain.md §5.2 indicators 1–3), per school and 学段."""
    above = or_(
        *[
            and_(Teacher.section == section, Teacher.degree.in_(sorted(degrees)))
            for section, degrees in sets.qualifying_degrees.items()
        ]
    )
    return (
        select(
            Teacher.school_code,
            Teacher.section,
            func.count(),
            func.sum(case((above, 1), else_=0)),
            func.sum(case((Teacher.backbone_level.in_(sorted(sets.backbone_levels)), 1), else_=0)),
            func.sum(case((Teacher.main_subject.in_(sorted(sets.pe_arts_subjects)), 1), else_=0)),
        )
        .where(in_post())
        .group_by(Teacher.school_code, Teacher.section)
    )


async def section_counts(
    session: AsyncSession, codes: Sequence[str] | None, sets: rules.IndicatorSets
) -> dict[tuple[str, Section], SectionCounts]:
    """Indicator counts of the given schools (all schools when `codes` is None)."""
    query = _counts_query(sets)
    parts: Iterable[Sequence[str] | None] = [None] if codes is None else chunks(sorted(set(codes)))
    out: dict[tuple[str, Section], SectionCounts] = {}
    for part in parts:
        rows = await session.execute(
            query if part is None else query.where(Teacher.school_code.in_(part))
        )
        for code, section, full, above, backbone, pe_arts in rows:
            out[(code, Section(section))] = SectionCounts(
                int(full), int(above or 0), int(backbone or 0), int(pe_arts or 0)
            )
    return out


async def stored_stats(
    session: AsyncSession, counties: Mapping[str, str], *, as_of: date
) -> dict[str, SchoolTeacherStats]:
    """The counts last published for the schools (`counties`: school code → county code),
    locked until the transaction ends. A school without a row gets one first (version 0, never
    published; the caller publishes it in this transaction): its row then exists to be locked,
    and two transactions recounting a new school take turns instead of the later one's insert
    failing. Locked in school order, so two transactions cannot wait on each other."""
    codes = sorted(counties)
    placeholders = [
        {
            "school_code": code,
            "county_code": counties[code],
            "sections": [],
            "as_of": as_of,
            "version": 0,
            "updated_at": utcnow(),
        }
        for code in codes
    ]
    table = SchoolTeacherStats.__table__
    for part in chunks(placeholders, 500):
        await session.execute(insert_ignoring_conflicts(session, table, "school_code"), part)
    out: dict[str, SchoolTeacherStats] = {}
    for part in chunks(codes):
        rows = await session.scalars(
            select(SchoolTeacherStats)
            .where(SchoolTeacherStats.school_code.in_(part))
            .order_by(SchoolTeacherStats.school_code)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        out.update({row.school_code: row for row in rows})
    return out


# ---- for the quota and rotation domains ---------------------------------------------------


class TeacherPosting(NamedTuple):
    id: UUID
    school_code: str
    section: Section
    post_type: PostType
    main_subject: str | None
    title: str | None
    backbone_level: str | None
    staffing_status: StaffingStatus
    school_joined_on: date


async def active_teachers_at(
    session: AsyncSession, school_codes: Sequence[str]
) -> list[TeacherPosting]:
    """Active teachers at the schools, by school (one query per 5,000 schools)."""
    out: list[TeacherPosting] = []
    for part in chunks(sorted(set(school_codes))):
        rows = await session.execute(
            select(
                Teacher.id,
                Teacher.school_code,
                Teacher.section,
                Teacher.post_type,
                Teacher.main_subject,
                Teacher.title,
                Teacher.backbone_level,
                Teacher.staffing_status,
                Teacher.school_joined_on,
            )
            .where(Teacher.school_code.in_(part), Teacher.status == TeacherStatus.ACTIVE)
            .order_by(Teacher.school_code, Teacher.id)
        )
        out.extend(TeacherPosting(*row) for row in rows)
    return out


async def current_assignment_starts(
    session: AsyncSession, teacher_ids: Sequence[UUID]
) -> dict[UUID, date]:
    """Start of each teacher's current posting (years at the current school)."""
    out: dict[UUID, date] = {}
    for part in chunks(list(teacher_ids)):
        rows = await session.execute(
            select(Teacher.id, Teacher.school_joined_on).where(Teacher.id.in_(part))
        )
        out.update({teacher_id: started for teacher_id, started in rows})
    return out


async def rural_service_days(
    session: AsyncSession, teacher_ids: Sequence[UUID], *, on: date
) -> dict[UUID, int]:
    """Days of rural service up to `on`: imported earlier periods plus postings at schools the
    bureau marked rural (a posting ends when the next begins; the current one runs to `on`)."""
    periods: dict[UUID, list[rules.Period]] = defaultdict(list)
    for part in chunks(list(teacher_ids)):
        imported = await session.execute(
            select(
                RuralServicePeriod.teacher_id,
                RuralServicePeriod.started_on,
                RuralServicePeriod.ended_on,
            ).where(RuralServicePeriod.teacher_id.in_(part))
        )
        for teacher_id, started, ended in imported:
            periods[teacher_id].append(rules.Period(started, min(ended, on)))
        postings = await session.execute(
            select(
                TeacherAssignment.teacher_id,
                TeacherAssignment.started_on,
                rural_expression(),
            )
            .outerjoin(School, School.school_code == TeacherAssignment.school_code)
            .outerjoin(SchoolRurality, SchoolRurality.school_code == TeacherAssignment.school_code)
            .where(TeacherAssignment.teacher_id.in_(part))
            .order_by(TeacherAssignment.teacher_id, TeacherAssignment.sequence)
        )
        by_teacher: dict[UUID, list[tuple[date, bool]]] = defaultdict(list)
        for teacher_id, started, is_rural in postings:
            by_teacher[teacher_id].append((started, bool(is_rural)))
        for teacher_id, rows in by_teacher.items():
            for index, (started, is_rural) in enumerate(rows):
                ended = rows[index + 1][0] if index + 1 < len(rows) else on
                if is_rural:
                    periods[teacher_id].append(rules.Period(started, min(ended, on)))
    return {t: rules.service_days(periods.get(t, [])) for t in teacher_ids}
