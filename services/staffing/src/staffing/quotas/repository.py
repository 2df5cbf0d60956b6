"""Every query of the quota domain: enrolment, the ledger, and staff counts from the registry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.pagination import fetch_limit
from staffing.quotas.models import QuotaLedgerEntry, SchoolEnrolment
from staffing.schools.models import School
from staffing.teachers.codes import StaffingStatus, TeacherStatus
from staffing.teachers.models import Teacher
from staffing.teachers.repository import chunks


@dataclass(frozen=True, slots=True)
class CountySchool:
    school_code: str
    name: str
    levels: list[str]
    longitude: float
    latitude: float


async def county_schools(session: AsyncSession, county_code: str) -> list[CountySchool]:
    rows = await session.execute(
        select(School.school_code, School.name, School.levels, School.longitude, School.latitude)
        .where(School.county_code == county_code)
        .order_by(School.school_code)
    )
    return [
        CountySchool(code, name, list(levels), lon, lat) for code, name, levels, lon, lat in rows
    ]


async def enrolments(session: AsyncSession, county_code: str, year: int) -> list[SchoolEnrolment]:
    rows = await session.scalars(
        select(SchoolEnrolment)
        .where(SchoolEnrolment.county_code == county_code, SchoolEnrolment.year == year)
        .order_by(SchoolEnrolment.school_code)
    )
    return list(rows)


async def replace_enrolments(
    session: AsyncSession, year: int, rows: Sequence[dict[str, Any]]
) -> None:
    """Set-based upsert: the listed schools' rows for the year are replaced in two statements."""
    codes = [r["school_code"] for r in rows]
    for part in chunks(codes):
        await session.execute(
            delete(SchoolEnrolment).where(
                SchoolEnrolment.year == year, SchoolEnrolment.school_code.in_(part)
            )
        )
    await session.execute(insert(SchoolEnrolment), list(rows))


async def approved_posts(session: AsyncSession, county_code: str, year: int) -> dict[str, int]:
    """核定编制 per school for the year: the newest ledger entry of that year or before
    (ROW_NUMBER window, one query)."""
    newest = func.row_number().over(
        partition_by=QuotaLedgerEntry.school_code, order_by=QuotaLedgerEntry.sequence.desc()
    )
    ranked = (
        select(
            QuotaLedgerEntry.school_code,
            QuotaLedgerEntry.approved_after,
            newest.label("rank"),
        )
        .where(QuotaLedgerEntry.county_code == county_code, QuotaLedgerEntry.year <= year)
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.school_code, ranked.c.approved_after).where(ranked.c.rank == 1)
    )
    return {code: int(posts) for code, posts in rows}


@dataclass(frozen=True, slots=True)
class LedgerHead:
    sequence: int
    approved_after: int
    year: int


async def ledger_heads(session: AsyncSession, school_codes: Sequence[str]) -> dict[str, LedgerHead]:
    """Each school's newest ledger entry, whatever its year (the next entry follows it)."""
    newest = func.row_number().over(
        partition_by=QuotaLedgerEntry.school_code, order_by=QuotaLedgerEntry.sequence.desc()
    )
    out: dict[str, LedgerHead] = {}
    for part in chunks(sorted(set(school_codes))):
        ranked = (
            select(
                QuotaLedgerEntry.school_code,
                QuotaLedgerEntry.sequence,
                QuotaLedgerEntry.approved_after,
                QuotaLedgerEntry.year,
                newest.label("rank"),
            )
            .where(QuotaLedgerEntry.school_code.in_(part))
            .subquery()
        )
        rows = await session.execute(
            select(
                ranked.c.school_code, ranked.c.sequence, ranked.c.approved_after, ranked.c.year
            ).where(ranked.c.rank == 1)
        )
        out.update({code: LedgerHead(seq, posts, year) for code, seq, posts, year in rows})
    return out


async def ledger_page(
    session: AsyncSession,
    county_code: str,
    *,
    school_code: str | None,
    year: int | None,
    after: UUID | None,
    limit: int,
) -> list[QuotaLedgerEntry]:
    query = select(QuotaLedgerEntry).where(QuotaLedgerEntry.county_code == county_code)
    if school_code is not None:
        query = query.where(QuotaLedgerEntry.school_code == school_code)
    if year is not None:
        query = query.where(QuotaLedgerEntry.year == year)
    if after is not None:
        query = query.where(QuotaLedgerEntry.id > after)
    return list(
        await session.scalars(query.order_by(QuotaLedgerEntry.id).limit(fetch_limit(limit)))
    )


@dataclass(frozen=True, slots=True)
class StaffCounts:
    in_post: int = 0  # 在编 at the school
    seconded_out: int = 0  # 借调
    substitutes: int = 0  # 临聘 / 代课


async def staff_counts(session: AsyncSession, county_code: str) -> dict[str, StaffCounts]:
    """Active staff (every post type: 编制 is 教职工) per school and 编制 status, one GROUP BY."""
    rows = await session.execute(
        select(Teacher.school_code, Teacher.staffing_status, func.count())
        .where(Teacher.county_code == county_code, Teacher.status == TeacherStatus.ACTIVE)
        .group_by(Teacher.school_code, Teacher.staffing_status)
    )
    counts: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for code, status, count in rows:
        counts[code][StaffingStatus(status).value] = int(count)
    return {
        code: StaffCounts(
            in_post=by.get(StaffingStatus.IN_QUOTA.value, 0),
            seconded_out=by.get(StaffingStatus.SECONDED.value, 0),
            substitutes=by.get(StaffingStatus.TEMPORARY.value, 0),
        )
        for code, by in counts.items()
    }
