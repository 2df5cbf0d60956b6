from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response

from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import (
    Conflict,
    NotFound,
    PreconditionFailed,
    RuleViolated,
    problem_responses,
)
from junheng_kit.timeutil import china_today
from staffing.pool import service
from staffing.pool.schemas import QuotaLoanCreate, QuotaLoanRead, QuotaLoanReturn, QuotaPoolRead

county_router = APIRouter(prefix="/v1/counties/{county_code}", tags=["quota-pool"])
router = APIRouter(prefix="/v1/quota-loans", tags=["quota-pool"])

Reader = Annotated[Principal, Depends(require_scopes("staffing:read"))]
Writer = Annotated[Principal, Depends(require_scopes("staffing:write"))]


@county_router.post(
    "/quota-loans",
    status_code=201,
    summary="Lend posts from the county's turnover pool to a school (编制周转池借出)",
    responses=problem_responses(RuleViolated),
)
async def lend_quota(
    county_code: CountyCode,
    body: QuotaLoanCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
) -> QuotaLoanRead:
    """The posts count in the school's approved quota (a ledger adjustment naming the loan)
    until returned. 422 `quota_pool_available` when the pool holds fewer free posts,
    `loan_dates_order` when due_on is not after lent_on."""
    loan = await service.lend(session, principal, county_code=county_code, request=body)
    response.headers["Location"] = f"/v1/quota-loans/{loan.id}"
    response.headers["ETag"] = etag(loan.version)
    return service.loan_read(loan, on=china_today())


@router.post(
    "/{loan_id}/return",
    summary="Return lent posts to the pool (归还)",
    responses=problem_responses(NotFound, Conflict, PreconditionFailed, RuleViolated),
)
async def return_quota(
    loan_id: UUID,
    body: QuotaLoanReturn,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> QuotaLoanRead:
    """A ledger adjustment takes the posts out of the school's approved quota; 409
    `loan_returned_once` the second time, 422 `return_after_lending` before the lending date."""
    loan = await service.return_loan(
        session,
        principal,
        loan_id=loan_id,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.headers["ETag"] = etag(loan.version)
    return service.loan_read(loan, on=china_today())


@county_router.get(
    "/quota-pool",
    summary="The turnover pool: size, posts lent, overdue loans (编制周转池)",
    responses=problem_responses(),
)
async def quota_pool(
    county_code: CountyCode,
    session: SessionDep,
    principal: Reader,
    on: Annotated[date | None, Query(description="default: today in China")] = None,
) -> QuotaPoolRead:
    return await service.pool_view(
        session, principal, county_code=county_code, on=on or china_today()
    )
