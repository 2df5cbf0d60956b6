"""HTTP of the ledger: chain verification and the family-visible access log."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from assistance.agencies.repository import AgencyRepository
from assistance.categories import AGENCIES
from assistance.ledger import service
from assistance.ledger.schemas import (
    AccessLogEntryRead,
    AccessLogQuery,
    AccessLogRead,
    LedgerVerifyRead,
)
from assistance.ledger.service import ChainBroken
from assistance.students.audit import AccessLogRead_
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.i18n import t
from junheng_kit.identifiers import student_key
from junheng_kit.problems import NotFound, problem_responses

router = APIRouter(tags=["ledger"])
Reader = Annotated[Principal, Depends(require_scopes("assistance:read"))]
PiiReader = Annotated[Principal, Depends(require_scopes("assistance:read", "assistance:pii"))]


@router.get("/v1/ledger/verify", responses=problem_responses(ChainBroken))
async def verify_ledger(session: SessionDep, _: Reader) -> LedgerVerifyRead:
    """Recompute the hash chain; 409 naming `entries[<seq>].entry_hash` (rule hash_chain)."""
    status = await service.verify(session)
    return LedgerVerifyRead(
        intact=True,
        entries=status.entries,
        head_hash=status.head_hash,
        algorithm=status.algorithm,
    )


def _log(student_id: UUID | None, key: str, entries: list[AccessLogEntryRead]) -> AccessLogRead:
    return AccessLogRead(student_id=student_id, student_key=key, entries=entries)


@router.post("/v1/access-log/query")
async def query_access_log(
    audit: AccessLogRead_,
    body: AccessLogQuery,
    request: Request,
    session: SessionDep,
    principal: PiiReader,
) -> AccessLogRead:
    """查询记录 by citizen ID (POST: the ID stays out of URLs); needs `assistance:pii`."""
    key = student_key(
        request.app.state.settings.pseudonym_key.get_secret_value().encode(), body.citizen_id
    )
    student = await AgencyRepository(session).student_by_citizen_id(body.citizen_id)
    entries = await service.access_log(session, principal, student_key=key)
    audit.touched(ids=[student.id] if student else [], student_keys=[key], classes=["personal"])
    return _log(
        student.id if student and principal.jurisdiction.covers_code(student.county_code) else None,
        key,
        [AccessLogEntryRead.of(e, AGENCIES.get(e.agency, e.agency)) for e in entries],
    )


@router.get("/v1/students/{student_id}/access-log", responses=problem_responses(NotFound))
async def student_access_log(
    audit: AccessLogRead_, student_id: UUID, session: SessionDep, principal: Reader
) -> AccessLogRead:
    """查询记录 of a roster student: every agency lookup made about them, and why."""
    student = await AgencyRepository(session).student(student_id)
    if student is None:
        raise NotFound(t(f"学生 {student_id} 不存在", f"student {student_id} not found"))
    principal.require_jurisdiction(student.county_code, field="student_id")
    audit.touched(ids=[student.id], student_keys=[student.student_key], classes=["personal"])
    entries = await service.access_log(session, principal, student_key=student.student_key)
    return _log(
        student.id,
        student.student_key,
        [AccessLogEntryRead.of(e, AGENCIES.get(e.agency, e.agency)) for e in entries],
    )
