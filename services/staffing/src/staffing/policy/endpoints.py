from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import RuleViolated, problem_responses
from staffing.policy import service
from staffing.policy.schemas import ParametersInForce, PolicyParameterCreate, PolicyParameterRead
from staffing.teachers.audit import PolicyChange

router = APIRouter(prefix="/v1/counties/{county_code}/policy-parameters", tags=["policy"])

Reader = Annotated[Principal, Depends(require_scopes("staffing:read"))]
Writer = Annotated[Principal, Depends(require_scopes("staffing:write"))]


@router.post(
    "",
    status_code=201,
    summary="Set a staffing policy value for the county (政策参数)",
    responses=problem_responses(RuleViolated),
)
async def set_policy_parameter(
    audit: PolicyChange,
    county_code: CountyCode,
    body: PolicyParameterCreate,
    session: SessionDep,
    principal: Writer,
) -> PolicyParameterRead:
    """Append an effective-dated value for the county's own scope; the most specific scope in
    force wins (county over province over national). Values no official text fixes (班师比,
    boarding and special-education extras, the retirement window and age, the distance limit)
    exist only once a county sets them."""
    parameter = await service.set_parameter(
        session, principal, county_code=county_code, request=body
    )
    audit.touched(ids=[parameter.id], county_code=county_code)
    return PolicyParameterRead.model_validate(parameter, from_attributes=True)


@router.get(
    "", summary="Staffing policy values in force for the county", responses=problem_responses()
)
async def list_policy_parameters(
    county_code: CountyCode,
    session: SessionDep,
    principal: Reader,
    on: Annotated[date, Query(description="the date the values are in force on")],
) -> ParametersInForce:
    """Every parameter key and qualifier with the row in force (and its source), or null."""
    return await service.parameters_in_force(session, principal, county_code=county_code, on=on)
