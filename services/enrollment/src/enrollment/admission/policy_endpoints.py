"""招生政策 over HTTP: a county's priority rules per level and school year, published as
versions and read as in force on a day."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from enrollment.admission import policies
from enrollment.admission.endpoints import Level, Reader, Writer
from enrollment.admission.models import PriorityPolicy
from enrollment.admission.repository import PolicyRepository
from enrollment.admission.schemas import (
    PriorityPolicyPut,
    PriorityPolicyRead,
    PriorityPolicyVersions,
    Year,
)
from junheng_kit.audit import AuditTrail, audit_of
from junheng_kit.db import SessionDep
from junheng_kit.i18n import t
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import NotFound, RuleViolated, problem_responses
from junheng_kit.timeutil import china_today

router = APIRouter(tags=["admission"])
PolicyChange = Annotated[AuditTrail, Depends(audit_of("priority_policy", "admin"))]


def policy_read(policy: PriorityPolicy) -> PriorityPolicyRead:
    return PriorityPolicyRead.model_validate(
        {
            **policy.document,
            "id": policy.id,
            "county_code": policy.county_code,
            "year": policy.year,
            "level": policy.level,
            "version": policy.version,
            "document_sha256": policy.document_sha256,
            "created_by": policy.created_by,
            "created_at": policy.created_at,
        }
    )


@router.put(
    "/v1/priority-policies/{county_code}/{year}/{level}",
    status_code=201,
    summary="Publish a county's admission priority rules (招生政策), as a new version",
    responses=problem_responses(RuleViolated),
)
async def publish_policy(
    audit: PolicyChange,
    county_code: CountyCode,
    year: Year,
    level: Level,
    body: PriorityPolicyPut,
    session: SessionDep,
    principal: Writer,
) -> PriorityPolicyRead:
    """Tiers are data: each is a list of conditions on household facts, first match wins. A
    change adds a version effective from its date; runs of past years use the version that
    was in force. `own_primary_leaver` (九年一贯制对口) belongs to junior policies: a primary
    policy testing it is 422 `fact_for_level`."""
    policy = await policies.publish_policy(
        session, principal, county_code=county_code, year=year, level=level, request=body
    )
    audit.touched(ids=[policy.id], county_code=county_code)
    return policy_read(policy)


@router.get(
    "/v1/priority-policies/{county_code}/{year}/{level}",
    summary="The priority rules in force",
    responses=problem_responses(NotFound),
)
async def get_policy(
    county_code: CountyCode,
    year: Year,
    level: Level,
    session: SessionDep,
    principal: Reader,
    on: Annotated[date | None, Query(description="in force on this day (default today)")] = None,
    # le: the largest version the INTEGER column holds (a larger one is no version at all)
    version: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> PriorityPolicyRead:
    principal.require_jurisdiction(county_code, field="county_code")
    policy = await PolicyRepository(session).in_force(
        county_code, year, level, on=on or china_today(), version=version
    )
    if policy is None:
        raise NotFound(
            t(
                f"没有生效的 {county_code} {year} 年 {level} 优先录取政策",
                f"no {level} priority policy of {county_code} for {year} is in force",
            )
        )
    return policy_read(policy)


@router.get(
    "/v1/priority-policies/{county_code}/{year}/{level}/versions",
    summary="Every version of the priority rules",
    responses=problem_responses(),
)
async def list_policy_versions(
    county_code: CountyCode, year: Year, level: Level, session: SessionDep, principal: Reader
) -> PriorityPolicyVersions:
    principal.require_jurisdiction(county_code, field="county_code")
    versions = await PolicyRepository(session).versions(county_code, year, level)
    return PriorityPolicyVersions(items=[policy_read(p) for p in versions])
