"""Every query of the county travel models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.lottery.commute.models import CommuteModel


@dataclass
class CommuteModelRepository:
    session: AsyncSession

    def add(self, model: CommuteModel) -> None:
        self.session.add(model)

    async def every(self, county_code: str) -> list[CommuteModel]:
        """The county's models as set, oldest first."""
        return list(
            await self.session.scalars(
                select(CommuteModel)
                .where(CommuteModel.county_code == county_code)
                .order_by(CommuteModel.id)
            )
        )

    async def in_force(self, county_code: str, *, on: date) -> CommuteModel | None:
        """The row in force on `on`: the latest `effective_from`, then the latest set."""
        return await self.session.scalar(
            select(CommuteModel)
            .where(
                CommuteModel.county_code == county_code,
                CommuteModel.effective_from <= on,
                or_(CommuteModel.effective_to.is_(None), CommuteModel.effective_to > on),
            )
            .order_by(CommuteModel.effective_from.desc(), CommuteModel.id.desc())
            .limit(1)
        )
