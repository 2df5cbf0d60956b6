from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission.models import Admission
from enrollment.schools.models import PrivateShareCap, School
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
from junheng_kit.pagination import fetch_limit
from junheng_kit.problems import NotFound


@dataclass
class SchoolRepository:
    session: AsyncSession

    def add(self, school: School) -> None:
        self.session.add(school)

    async def find(self, school_code: str) -> School | None:
        return await self.session.get(School, school_code)

    async def get(self, school_code: str, *, within: Jurisdiction) -> School:
        school = await self.session.scalar(
            select(School).where(
                School.school_code == school_code, within.covers(School.county_code)
            )
        )
        if school is None:  # another county's school is "not found" too
            raise NotFound(t(f"学校 {school_code} 不存在", f"school {school_code} not found"))
        return school

    async def page(
        self,
        *,
        within: Jurisdiction,
        county_code: str | None,
        level: str | None,
        after: str | None,
        limit: int,
    ) -> list[School]:
        query = select(School).where(within.covers(School.county_code))
        if county_code:
            query = query.where(School.county_code == county_code)
        if level:
            # levels is a JSON list written compactly by the kit's serializer: a text match on
            # the quoted value is exact and works on SQLite and PostgreSQL alike
            query = query.where(cast(School.levels, String).contains(f'"{level}"'))
        if after:
            query = query.where(School.school_code > after)
        return list(
            await self.session.scalars(query.order_by(School.school_code).limit(fetch_limit(limit)))
        )

    async def every(self, *, within: Jurisdiction, county_code: str | None) -> list[School]:
        """Every school in the jurisdiction (and county), by code: the export."""
        query = select(School).where(within.covers(School.county_code))
        if county_code:
            query = query.where(School.county_code == county_code)
        return list(await self.session.scalars(query.order_by(School.school_code)))

    async def admissions_by_ownership(
        self, *, county_code: str, year: int
    ) -> list[tuple[str, str | None, int]]:
        """(level, 办学性质 of the school, pupils) of the county's confirmed admissions (录取)
        for the school year; a school missing from the registry counts as unrecorded."""
        result = await self.session.execute(
            select(Admission.level, School.ownership, func.count())
            .select_from(Admission)
            .outerjoin(School, School.school_code == Admission.school_code)
            .where(Admission.county_code == county_code, Admission.year == year)
            .group_by(Admission.level, School.ownership)
        )
        return [(level, ownership, int(pupils)) for level, ownership, pupils in result]


@dataclass
class PrivateShareCapRepository:
    session: AsyncSession

    def add(self, cap: PrivateShareCap) -> None:
        self.session.add(cap)

    async def every(self, county_code: str) -> list[PrivateShareCap]:
        """The county's caps as set, oldest first."""
        return list(
            await self.session.scalars(
                select(PrivateShareCap)
                .where(PrivateShareCap.county_code == county_code)
                .order_by(PrivateShareCap.id)
            )
        )

    async def in_force(self, county_code: str, *, on: date) -> PrivateShareCap | None:
        """The row in force on `on`: the latest `effective_from`, then the latest set."""
        return await self.session.scalar(
            select(PrivateShareCap)
            .where(
                PrivateShareCap.county_code == county_code,
                PrivateShareCap.effective_from <= on,
                or_(PrivateShareCap.effective_to.is_(None), PrivateShareCap.effective_to > on),
            )
            .order_by(PrivateShareCap.effective_from.desc(), PrivateShareCap.id.desc())
            .limit(1)
        )
