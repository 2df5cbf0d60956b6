"""Status notices (资格变动) over HTTP: the list, appeals and their resolution."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from assistance.awards.awards.endpoints import Reader, Writer
from assistance.awards.notices import service
from assistance.awards.notices.rules import NoticeStatus
from assistance.awards.notices.schemas import NoticeAppeal, NoticeList, NoticeRead, NoticeResolve
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import Conflict, NotFound, problem_responses

router = APIRouter(tags=["awards"])


@router.get(
    "/v1/notices", summary="Status notices (category lost or gained)", responses=problem_responses()
)
async def list_notices(
    session: SessionDep,
    principal: Reader,
    county_code: Annotated[CountyCode | None, Query()] = None,
    student_id: UUID | None = None,
    award_id: UUID | None = None,
    status: Annotated[str | None, Query(pattern=f"^({'|'.join(NoticeStatus)})$")] = None,
) -> NoticeList:
    rows = await service.list_notices(
        session,
        principal,
        filters={
            "county_code": county_code,
            "student_id": student_id,
            "award_id": award_id,
            "status": status,
        },
    )
    return NoticeList(items=[service.notice_read(r, principal) for r in rows])


@router.post(
    "/v1/notices/{notice_id}/appeal",
    summary="申诉: contest a status change (payments continue while it is open)",
    responses=problem_responses(NotFound, Conflict),
)
async def appeal_notice(
    notice_id: UUID, body: NoticeAppeal, session: SessionDep, principal: Writer
) -> NoticeRead:
    row = await service.appeal_notice(session, principal, notice_id=notice_id, request=body)
    return service.notice_read(row, principal)


@router.post(
    "/v1/notices/{notice_id}/resolution",
    summary="Decide an appeal (upheld: the award stays payable)",
    responses=problem_responses(NotFound, Conflict),
)
async def resolve_notice(
    notice_id: UUID, body: NoticeResolve, session: SessionDep, principal: Writer
) -> NoticeRead:
    row = await service.resolve_notice(session, principal, notice_id=notice_id, request=body)
    return service.notice_read(row, principal)
