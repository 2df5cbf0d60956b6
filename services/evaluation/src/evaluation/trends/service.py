"""Trends and roll-ups: read the newest stored assessment summaries, never recompute."""

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment.repository import AssessmentRepository
from evaluation.trends.rules import worst_cv
from evaluation.trends.schemas import (
    CountyRollup,
    IndicatorTrend,
    LevelTrend,
    RollupRead,
    TrendsRead,
    YearTrend,
)
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, InvalidInput


async def county_trends(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    from_year: int | None,
    to_year: int | None,
) -> TrendsRead:
    """One county across school years: the newest assessment of each year, oldest year first."""
    if from_year is not None and to_year is not None and from_year > to_year:
        raise InvalidInput(
            t("from_year 晚于 to_year", "from_year is after to_year"),
            FieldError(
                "query.from_year",
                "year_range",
                t(f"{from_year} > {to_year}", f"{from_year} > {to_year}"),
            ),
        )
    principal.require_jurisdiction(county_code, field="county_code")
    rows = await AssessmentRepository(session).newest_summaries(
        within=principal.jurisdiction, county_code=county_code, from_year=from_year, to_year=to_year
    )
    return TrendsRead(
        county_code=county_code,
        years=[
            YearTrend(
                year=row.year,
                assessment_id=row.id,
                resource_allocation_passed=row.resource_allocation_passed,
                levels={
                    level: LevelTrend(
                        sections=figures["sections"],
                        passing_sections=figures["passing_sections"],
                        indicators={
                            key: IndicatorTrend(
                                county_mean=i["county_mean"], cv=i["cv"], cv_passed=i["cv_passed"]
                            )
                            for key, i in figures["indicators"].items()
                        },
                    )
                    for level, figures in row.summary["levels"].items()
                },
                inputs_sha256=row.inputs_sha256,
                catalogue_version=row.catalogue_version,
            )
            for row in rows
        ],
    )


async def region_rollup(
    session: AsyncSession, principal: Principal, *, region_code: str, year: int
) -> RollupRead:
    """A city (4 digits) or province (2) — or one county (6) — in one school year: the newest
    assessment of every county within it that the caller may see."""
    principal.require_jurisdiction(region_code, field="region_code")
    rows = await AssessmentRepository(session).newest_summaries(
        within=principal.jurisdiction, region_code=region_code, from_year=year, to_year=year
    )
    counties = [
        CountyRollup(
            county_code=row.county_code,
            assessment_id=row.id,
            resource_allocation_passed=row.resource_allocation_passed,
            failing_schools=row.summary["failing_schools"],
            failing_cv=row.summary["failing_cv"],
            worst_cv=worst_cv(row.summary),
            inputs_sha256=row.inputs_sha256,
            catalogue_version=row.catalogue_version,
        )
        for row in rows
    ]
    return RollupRead(
        region_code=region_code,
        year=year,
        counties_assessed=len(counties),
        counties_passing=sum(1 for c in counties if c.resource_allocation_passed),
        counties=counties,
    )
