from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from evaluation.assessment.models import Assessment
from evaluation.resources.models import SchoolResource
from evaluation.verdict.models import (
    CountyVerdictState,
    EligibilityInput,
    RecognitionInput,
    VerdictItemInput,
)


def county_school_codes(county_code: str, year: int) -> Select[Any]:
    """The schools of the county's resource data for the year, as a subquery to select by."""
    return select(SchoolResource.school_code).where(
        SchoolResource.county_code == county_code, SchoolResource.year == year
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

    async def newest_assessment(
        self, county_code: str, year: int, *, head_only: bool = False
    ) -> Assessment | None:
        """The newest stored assessment of the county and year (read-only use); `head_only`
        loads its id and verdict, not its inputs and result (megabytes for a large county)."""
        query = (
            select(Assessment)
            .where(Assessment.county_code == county_code, Assessment.year == year)
            .order_by(Assessment.created_at.desc(), Assessment.id.desc())
            .limit(1)
        )
        if head_only:
            query = query.options(
                load_only(Assessment.id, Assessment.resource_allocation_passed, raiseload=True)
            )
        return await self.session.scalar(query)

    async def assessment_result(self, assessment: Assessment) -> dict[str, Any]:
        """The stored result, read now when `assessment` was loaded without it."""
        if "result" not in inspect(assessment).unloaded:
            return assessment.result
        result = await self.session.scalar(
            select(Assessment.result).where(Assessment.id == assessment.id)
        )
        if result is None:  # the row was just read by id: it cannot be gone in this transaction
            raise LookupError(f"assessment {assessment.id} has no stored result")
        return cast(dict[str, Any], result)

    async def state(self, county_code: str, year: int) -> CountyVerdictState | None:
        """The verdict as last announced for the county and year, locked until the transaction
        ends: two inputs stored at once are judged one after the other, the second on the
        first's committed input and announcement."""
        return await self.session.scalar(
            select(CountyVerdictState)
            .where(CountyVerdictState.county_code == county_code, CountyVerdictState.year == year)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def county_sections(self, county_code: str, year: int) -> list[tuple[str, str]]:
        """(school, level) of every section the county's resource data holds for the year,
        special-education schools excepted (outside the evaluation's school scope, §5.1)."""
        rows = await self.session.execute(
            select(SchoolResource.school_code, SchoolResource.level)
            .where(
                SchoolResource.county_code == county_code,
                SchoolResource.year == year,
                SchoolResource.special_education.is_(False),
            )
            .order_by(SchoolResource.school_code, SchoolResource.level)
        )
        return [(school_code, level) for school_code, level in rows]
