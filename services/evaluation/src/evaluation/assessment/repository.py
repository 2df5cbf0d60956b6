from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment.models import Assessment
from junheng_kit.auth import Jurisdiction
from junheng_kit.problems import NotFound


@dataclass
class AssessmentRepository:
    session: AsyncSession

    def add(self, assessment: Assessment) -> None:
        self.session.add(assessment)

    async def get(self, assessment_id: UUID, *, within: Jurisdiction) -> Assessment:
        assessment = await self.session.scalar(
            select(Assessment).where(
                Assessment.id == assessment_id, within.covers(Assessment.county_code)
            )
        )
        if assessment is None:  # another county's assessment is "not found" too
            raise NotFound(f"assessment {assessment_id} not found")
        return assessment
