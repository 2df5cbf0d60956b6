from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.seats.models import SeatPlan, SeatStandard
from junheng_kit.auth import Jurisdiction
from junheng_kit.identifiers import scopes_covering
from junheng_kit.pagination import fetch_limit


@dataclass
class SeatPlanRepository:
    session: AsyncSession

    def add(self, plan: SeatPlan) -> None:
        self.session.add(plan)

    async def find(self, school_code: str, level: str, year: int) -> SeatPlan | None:
        return await self.session.get(SeatPlan, (school_code, level, year))

    async def of_school(
        self, school_code: str, year: int, *, within: Jurisdiction
    ) -> list[SeatPlan]:
        return list(
            await self.session.scalars(
                select(SeatPlan)
                .where(
                    SeatPlan.school_code == school_code,
                    SeatPlan.year == year,
                    within.covers(SeatPlan.county_code),
                )
                .order_by(SeatPlan.level)
            )
        )

    async def page(
        self,
        *,
        within: Jurisdiction,
        county_code: str | None,
        year: int,
        level: str | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> list[SeatPlan]:
        query = select(SeatPlan).where(within.covers(SeatPlan.county_code), SeatPlan.year == year)
        if county_code:
            query = query.where(SeatPlan.county_code == county_code)
        if level:
            query = query.where(SeatPlan.level == level)
        if after:
            query = query.where(tuple_(SeatPlan.school_code, SeatPlan.level) > after)
        return list(
            await self.session.scalars(
                query.order_by(SeatPlan.school_code, SeatPlan.level).limit(fetch_limit(limit))
            )
        )

    async def seats_by_school(self, county_code: str, level: str, year: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(SeatPlan.school_code, SeatPlan.seats).where(
                SeatPlan.county_code == county_code, SeatPlan.level == level, SeatPlan.year == year
            )
        )
        return {code: seats for code, seats in rows}

    async def seats_until(
        self, school_codes: Collection[str], level: str, last_year: int
    ) -> list[tuple[str, int, int]]:
        """(school_code, year, seats) of every plan up to `last_year`, oldest first."""
        if not school_codes:
            return []
        rows = await self.session.execute(
            select(SeatPlan.school_code, SeatPlan.year, SeatPlan.seats)
            .where(
                SeatPlan.school_code.in_(school_codes),
                SeatPlan.level == level,
                SeatPlan.year <= last_year,
            )
            .order_by(SeatPlan.year)
        )
        return [(code, year, seats) for code, year, seats in rows]


@dataclass
class SeatStandardRepository:
    session: AsyncSession

    def add(self, standard: SeatStandard) -> None:
        self.session.add(standard)

    async def find(self, scope_code: str, level: str, effective_from: date) -> SeatStandard | None:
        return await self.session.get(SeatStandard, (scope_code, level, effective_from))

    async def covering(self, county_code: str, level: str | None = None) -> list[SeatStandard]:
        """Every standard whose scope covers the county (its province, prefecture or itself),
        broadest scope first, then by start."""
        query = select(SeatStandard).where(
            SeatStandard.scope_code.in_(scopes_covering(county_code))
        )
        if level:
            query = query.where(SeatStandard.level == level)
        rows = await self.session.scalars(
            query.order_by(SeatStandard.level, SeatStandard.scope_code, SeatStandard.effective_from)
        )
        return list(rows)
