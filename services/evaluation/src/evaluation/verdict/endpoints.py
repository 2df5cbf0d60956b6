from typing import Annotated

from fastapi import APIRouter, Depends, Path

from evaluation.verdict import service
from evaluation.verdict.schemas import (
    EligibilityPut,
    InputsRead,
    ItemPut,
    ItemRead,
    RecognitionPut,
    VerdictRead,
)
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import Forbidden, NotFound, RuleViolated, problem_responses

router = APIRouter(prefix="/v1/counties/{county_code}/years/{year}", tags=["verdict"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]
Writer = Annotated[Principal, Depends(require_scopes("evaluation:write"))]
Year = Annotated[int, Path(ge=2000, le=2100, description="school year by its start year")]
ItemKey = Annotated[str, Path(max_length=60, description="catalogue item key, e.g. rotation_share")]


@router.put(
    "/items/{key}",
    summary="Store one government-assurance or education-quality item (政府保障程度/教育质量)",
    responses=problem_responses(Forbidden, NotFound, RuleViolated),
)
async def put_item(
    county_code: CountyCode,
    year: Year,
    key: ItemKey,
    body: ItemPut,
    session: SessionDep,
    principal: Writer,
) -> ItemRead:
    """Replace the item's review and answer its evaluation: measured values decide when the
    catalogue can judge them, else the reviewer finding; UNCONF items take a finding only."""
    return await service.put_item(
        session, principal, county_code=county_code, year=year, key=key, request=body
    )


@router.put(
    "/recognition",
    summary="Store the social-recognition survey (社会认可度)",
    responses=problem_responses(Forbidden, RuleViolated),
)
async def put_recognition(
    county_code: CountyCode,
    year: Year,
    body: RecognitionPut,
    session: SessionDep,
    principal: Writer,
) -> InputsRead:
    """Pooled Σsatisfied ÷ Σrespondents, or weighted per group; ≥ 85 % decides, a local target
    is only reported."""
    return await service.put_recognition(
        session, principal, county_code=county_code, year=year, request=body
    )


@router.put(
    "/eligibility",
    summary="Store eligibility and vetoes (申报资格、一票否决)",
    responses=problem_responses(Forbidden, RuleViolated),
)
async def put_eligibility(
    county_code: CountyCode,
    year: Year,
    body: EligibilityPut,
    session: SessionDep,
    principal: Writer,
) -> InputsRead:
    """Basic-balance recognition at least 3 years before the year assessed; vetoes found."""
    return await service.put_eligibility(
        session, principal, county_code=county_code, year=year, request=body
    )


@router.get(
    "/verdict",
    summary="The county verdict (县域义务教育优质均衡认定)",
    responses=problem_responses(Forbidden, RuleViolated),
)
async def get_verdict(
    county_code: CountyCode, year: Year, session: SessionDep, principal: Reader
) -> VerdictRead:
    """Combine the newest assessment with the stored inputs: met, not_met with every failing
    thing and its gap, or incomplete listing what is missing."""
    return await service.county_verdict(session, principal, county_code=county_code, year=year)
