"""Report use-cases: gather what a county verdict, trend or roll-up report shows (read only)."""

import json
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment.repository import AssessmentRepository
from evaluation.reports.county_build import (
    build_rollup_report,
    build_trend_report,
    build_verdict_report,
)
from evaluation.trends import service as trends_service
from evaluation.verdict import service as verdict_service
from junheng_kit.auth import Principal
from junheng_kit.timeutil import utcnow


async def verdict_report(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int
) -> dict[str, Any]:
    """县域认定报告: the verdict as `GET …/verdict` answers it, with the assessment it used (its
    hash, catalogue and the names of its schools)."""
    verdict = await verdict_service.county_verdict(
        session, principal, county_code=county_code, year=year
    )
    assessment = None
    names: dict[tuple[str, str], str] = {}
    if verdict.assessment_id is not None:
        stored = await AssessmentRepository(session).get(
            UUID(verdict.assessment_id), within=principal.jurisdiction
        )
        assessment = {
            "id": stored.id,
            "inputs_sha256": stored.inputs_sha256,
            "catalogue_version": stored.catalogue_version,
            "assessed_at": stored.created_at,
        }
        names = {
            (row["school_code"], row["level"]): row["name"]
            for row in json.loads(stored.inputs)["schools"]
        }
    return build_verdict_report(verdict, assessment=assessment, names=names, generated_at=utcnow())


async def trend_report(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    from_year: int | None,
    to_year: int | None,
) -> dict[str, Any]:
    trends = await trends_service.county_trends(
        session, principal, county_code=county_code, from_year=from_year, to_year=to_year
    )
    return build_trend_report(trends, generated_at=utcnow())


async def rollup_report(
    session: AsyncSession, principal: Principal, *, region_code: str, year: int
) -> dict[str, Any]:
    rollup = await trends_service.region_rollup(
        session, principal, region_code=region_code, year=year
    )
    return build_rollup_report(rollup, generated_at=utcnow())
