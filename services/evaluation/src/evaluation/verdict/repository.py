from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment.models import Assessment
from evaluation.verdict.models import (
    CountyVerdictState,
    EligibilityInput,
    RecognitionInput,
    VerdictItemInput,
)


@dataclass
class VerdictInputRepository:
    """Every query of the verdict domain; callers check the jurisdiction first."""

    session: AsyncSession

    def add(
        self,
        record: VerdictItemInput | RecognitionInput | EligibilityInput | CountyVerdictState,
    ) -> None:
        self.session.add(record)

    async def item(self, county_code: str, year: int, key: str) -> VerdictItemInput | None:
        return await self.session.scalar(
            select(VerdictItemInput).where(
                VerdictItemInput.county_code == county_code,
                VerdictItemInput.year == year,
                VerdictItemInput.key == key,
            )
        )

    async def items(self, county_code: str, year: int) -> list[VerdictItemInput]:
        return list(
            await self.session.scalars(
                select(VerdictItemInput)
                .where(VerdictItemInput.county_code == county_code, VerdictItemInput.year == year)
                .order_by(VerdictItemInput.key)
            )
        )

    async def recognition(self, county_code: str, year: int) -> RecognitionInput | None:
        return await self.session.scalar(
            select(RecognitionInput).where(
                RecognitionInput.county_code == county_code, RecognitionInput.year == year
            )
        )

    async def eligibility(self, county_code: str, year: int) -> EligibilityInput | None:
        return await self.session.scalar(
            select(EligibilityInput).where(
                EligibilityInput.county_code == county_code, EligibilityInput.year == year
            )
        )

    async def newest_assessment(self, county_code: str, year: int) -> Assessment | None:
        """The newest stored assessment of the county and year (read-only use)."""
        return await self.session.scalar(
            select(Assessment)
            .where(Assessment.county_code == county_code, Assessment.year == year)
            .order_by(Assessment.created_at.desc(), Assessment.id.desc())
            .limit(1)
        )

    async def state(self, county_code: str, year: int) -> CountyVerdictState | None:
        """The verdict as last announced for the county and year."""
        return await self.session.scalar(
            select(CountyVerdictState).where(
                CountyVerdictState.county_code == county_code, CountyVerdictState.year == year
            )
        )
