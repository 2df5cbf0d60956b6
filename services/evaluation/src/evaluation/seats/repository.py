from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.seats.models import SeatPlan
from evaluation.seats.rules import PlanFigures


@dataclass
class SeatPlanRepository:
    """Every query of the seat-plan read model; callers check the jurisdiction first."""

    session: AsyncSession

    def add(self, plan: SeatPlan) -> None:
        self.session.add(plan)

    async def plan(self, school_code: str, year: int, level: str) -> SeatPlan | None:
        """The plan, locked until the transaction ends (a newer copy is decided on it)."""
        return await self.session.get(SeatPlan, (school_code, year, level), with_for_update=True)

    async def plans(self, county_code: str, year: int) -> list[SeatPlan]:
        return list(
            await self.session.scalars(
                select(SeatPlan)
                .where(SeatPlan.county_code == county_code, SeatPlan.year == year)
                .order_by(SeatPlan.level, SeatPlan.school_code)
            )
        )

    async def figures(self, county_code: str, year: int) -> list[PlanFigures]:
        """The county's plans of the year as the class-size rule takes them, in one query."""
        rows = await self.session.execute(
            select(
                SeatPlan.school_code,
                SeatPlan.level,
                SeatPlan.planned_classes,
                SeatPlan.class_cap,
                SeatPlan.seats,
                SeatPlan.source_event_id,
                SeatPlan.version,
                SeatPlan.event_time,
            )
            .where(SeatPlan.county_code == county_code, SeatPlan.year == year)
            .order_by(SeatPlan.level, SeatPlan.school_code)
        )
        return [PlanFigures(*row) for row in rows]
