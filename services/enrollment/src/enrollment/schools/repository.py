from dataclasses import dataclass

from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.schools.models import School
from junheng_kit.auth import Jurisdiction
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
            raise NotFound(f"school {school_code} not found")
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
