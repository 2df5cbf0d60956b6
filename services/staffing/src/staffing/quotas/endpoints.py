from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode, SchoolCode
from junheng_kit.pagination import CursorQuery, LimitQuery
from junheng_kit.problems import Conflict, RuleViolated, problem_responses
from staffing.quotas import service
from staffing.quotas.schemas import (
    CountyQuotaRead,
    EnrolmentList,
    EnrolmentPut,
    LedgerEntryRead,
    LedgerPage,
    PoolingProposalRead,
    QuotaLedgerCreate,
)

router = APIRouter(prefix="/v1/counties/{county_code}", tags=["quotas"])

Reader = Annotated[Principal, Depends(require_scopes("staffing:read"))]
Writer = Annotated[Principal, Depends(require_scopes("staffing:write"))]
YearQuery = Annotated[int, Query(ge=2000, le=2100, description="school year by its start year")]


@router.put(
    "/enrolment",
    status_code=204,
    summary="Enter the schools' pupils for a year (在校生, the quota basis)",
    responses=problem_responses(RuleViolated),
)
async def put_enrolment(
    county_code: CountyCode, body: EnrolmentPut, session: SessionDep, principal: Writer
) -> Response:
    """Pupils (and optionally classes, boarders, special-education pupils) per school and level;
    the listed schools' rows for the year are replaced, all or none."""
    await service.put_enrolment(session, principal, county_code=county_code, request=body)
    return Response(status_code=204)


@router.get("/enrolment", summary="The schools' pupils for a year", responses=problem_responses())
async def list_enrolment(
    county_code: CountyCode, year: YearQuery, session: SessionDep, principal: Reader
) -> EnrolmentList:
    return await service.list_enrolment(session, principal, county_code=county_code, year=year)


@router.get(
    "/quotas",
    summary="编制核定: required, approved and actual posts per school and county",
    responses=problem_responses(RuleViolated),
)
async def get_quotas(
    county_code: CountyCode, year: YearQuery, session: SessionDep, principal: Reader
) -> CountyQuotaRead:
    """Per school: required posts by the policy in force on 1 September (生师比 on the real
    pupils, 班师比 where the county uses it, boarding and special-education extras; small rural
    schools are flagged, first in 统筹 — the 100-pupil rule is for 公用经费, not 编制), approved
    posts from the ledger, 在编 staff in post, 超编/缺编, 有编不补 and 借调 flags; county totals.
    422 names any parameter the county must still set (under Inner Mongolia's policy: the
    quota method and the 班师比)."""
    return await service.county_quotas(session, principal, county_code=county_code, year=year)


@router.post(
    "/quota-ledger",
    status_code=201,
    summary="Record a quota decision (编制核定 / 调整 / 统筹) in the append-only ledger",
    responses=problem_responses(RuleViolated, Conflict),
)
async def record_quota_decision(
    county_code: CountyCode, body: QuotaLedgerCreate, session: SessionDep, principal: Writer
) -> list[LedgerEntryRead]:
    """One entry per school with who, when and why; emits `staffing.quota.approved` per school.
    Entries are never changed or deleted: a correction is a new entry."""
    entries = await service.record_ledger(session, principal, county_code=county_code, request=body)
    return [LedgerEntryRead.model_validate(e, from_attributes=True) for e in entries]


@router.get("/quota-ledger", summary="The quota ledger", responses=problem_responses())
async def list_quota_ledger(
    county_code: CountyCode,
    session: SessionDep,
    principal: Reader,
    school_code: SchoolCode | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> LedgerPage:
    """Entries oldest first."""
    return await service.ledger(
        session,
        principal,
        county_code=county_code,
        school_code=school_code,
        year=year,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/quota-pooling-proposal",
    summary="统筹: move approved posts from 超编 to 缺编 schools within the county total",
    responses=problem_responses(RuleViolated),
)
async def get_pooling_proposal(
    county_code: CountyCode, year: YearQuery, session: SessionDep, principal: Reader
) -> PoolingProposalRead:
    """Greedy: small rural schools, then boarding schools, then the largest relative shortfall
    receive first; vacant surplus posts move before occupied ones. The answer includes the
    ledger decision that would carry it out."""
    return await service.pooling_proposal(session, principal, county_code=county_code, year=year)
