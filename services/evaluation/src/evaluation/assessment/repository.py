from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment.models import Assessment
from junheng_kit.auth import Jurisdiction
from junheng_kit.i18n import t
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
            raise NotFound(
                t(f"评估 {assessment_id} 不存在", f"assessment {assessment_id} not found")
            )
        return assessment

    async def newest_summaries(
        self,
        *,
        within: Jurisdiction,
        county_code: str | None = None,
        region_code: str | None = None,
        from_year: int | None = None,
        to_year: int | None = None,
    ) -> Sequence[Row[str, int, UUID, bool, dict[str, Any], str, str]]:
        """The newest assessment per county and year (by `created_at`, then id), as rows of
        county_code, year, id, resource_allocation_passed, summary, inputs_sha256 and
        catalogue_version — never `result`. One
        query (ROW_NUMBER window, SQLite ≥ 3.25 and PostgreSQL), ordered by county, then year."""
        newest = func.row_number().over(
            partition_by=(Assessment.county_code, Assessment.year),
            order_by=(Assessment.created_at.desc(), Assessment.id.desc()),
        )
        ranked: Select[Any] = select(
            Assessment.county_code,
            Assessment.year,
            Assessment.id,
            Assessment.resource_allocation_passed,
            Assessment.summary,
            Assessment.inputs_sha256,
            Assessment.catalogue_version,
            newest.label("rank"),
        ).where(within.covers(Assessment.county_code))
        if county_code is not None:
            ranked = ranked.where(Assessment.county_code == county_code)
        if region_code is not None:
            ranked = ranked.where(Assessment.county_code.startswith(region_code, autoescape=True))
        if from_year is not None:
            ranked = ranked.where(Assessment.year >= from_year)
        if to_year is not None:
            ranked = ranked.where(Assessment.year <= to_year)
        inner = ranked.subquery()
        query = (
            select(
                inner.c.county_code,
                inner.c.year,
                inner.c.id,
                inner.c.resource_allocation_passed,
                inner.c.summary,
                inner.c.inputs_sha256,
                inner.c.catalogue_version,
            )
            .where(inner.c.rank == 1)
            .order_by(inner.c.county_code, inner.c.year)
        )
        return (await self.session.execute(query)).all()
