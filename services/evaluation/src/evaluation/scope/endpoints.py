from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from evaluation.scope import service
from evaluation.scope.schemas import ScopeRulePut, ScopeRuleRead, ScopeRulesRead
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import Forbidden, NotFound, RuleViolated, problem_responses

router = APIRouter(prefix="/v1/counties/{county_code}/scope-rules", tags=["scope-rules"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]
Writer = Annotated[Principal, Depends(require_scopes("evaluation:write"))]
Key = Annotated[
    str, Path(max_length=40, description="min_pupils_teaching_point | combined_school_weights")
]


@router.put(
    "/{key}",
    summary="Set a scope rule of domain.md §5.1 (评估范围: 教学点, 一贯制学校分摊)",
    responses=problem_responses(Forbidden, NotFound, RuleViolated),
)
async def put_scope_rule(
    county_code: CountyCode, key: Key, body: ScopeRulePut, session: SessionDep, principal: Writer
) -> ScopeRuleRead:
    """No national default exists (UNCONF): until a county sets a rule, assessments take the
    sections as reported. A version is replaced by a PUT with the same `effective_from`."""
    return await service.put_rule(
        session, principal, county_code=county_code, key=key, request=body
    )


@router.get(
    "",
    summary="A county's scope rules (every version, or those in force on a date)",
    responses=problem_responses(Forbidden),
)
async def list_scope_rules(
    county_code: CountyCode,
    session: SessionDep,
    principal: Reader,
    on: Annotated[date | None, Query(description="only the versions in force that day")] = None,
) -> ScopeRulesRead:
    return await service.list_rules(session, principal, county_code=county_code, on=on)
