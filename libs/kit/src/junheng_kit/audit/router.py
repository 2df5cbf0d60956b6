"""The audit trail over HTTP, the same in every service (and the gateway): `GET /v1/audit`
(newest first, cursor-paged), `GET /v1/audit/verify`, `GET /v1/audit/export` (NDJSON) — scope
`audit:read`, entries of the caller's jurisdiction (by `county_code` prefix) only."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Select, or_, select

from junheng_kit.audit import rules
from junheng_kit.audit.trail import Auditor
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.i18n import localized, t
from junheng_kit.pagination import cut_page, decode_cursor, fetch_limit
from junheng_kit.problems import FieldError, InvalidInput, problem_responses

AUDIT_READ = "audit:read"
EXPORT_PAGE = 2000

Auditor_ = Annotated[Principal, Depends(require_scopes(AUDIT_READ))]


class AuditEntryRead(BaseModel):
    seq: int | None = Field(description="place in the hash chain; null until chained (≤ 2 s)")
    recorded_at: datetime
    client_id: str
    on_behalf_of: str | None
    purpose: str
    action: str
    kind: str
    record_ids: list[str] | None = Field(description="null when more than 50: see record_count")
    record_count: int
    query_digest: str | None
    student_keys: list[str]
    classes: list[str]
    county_code: str
    outcome: str
    status: int
    request_id: str
    algorithm: Literal["sha256", "sm3"] | str
    prev_hash: str | None
    entry_hash: str | None

    @classmethod
    def of(cls, row: Any) -> AuditEntryRead:
        values = dict(row._mapping)
        values["student_keys"] = (values.get("student_keys") or "").split()
        return cls.model_validate(values)


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None


class AuditVerifyRead(BaseModel):
    intact: bool
    chained: int = Field(description="entries linked, archived ones included")
    head_hash: str
    unchained: int = Field(
        description="appended un-chained and not yet linked (by an earlier version during a "
        "rolling upgrade; the chainer runs every ~0.5 s)"
    )
    archived: int
    broken_seq: int | None = Field(description="the first entry that does not chain")
    reason: str | None


class AuditFilters(BaseModel):
    since: datetime | None = None
    until: datetime | None = None
    client_id: str | None = Field(None, max_length=100)
    action: str | None = Field(None, max_length=16)
    kind: str | None = Field(None, max_length=40)
    student_key: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")


def _auditor(request: Request) -> Auditor:
    auditor: Auditor = request.app.state.auditor
    return auditor


def _selected(
    request: Request, auditor: Auditor, principal: Principal, filters: AuditFilters
) -> Select[Any]:
    """Entries of the caller's jurisdiction; entries of no county (`""`) too where the app says
    they hold nothing of a county (`app.state.audit_unplaced_visible`: the gateway's acts)."""
    table = auditor.store.table
    within = principal.jurisdiction.covers(table.c.county_code)
    if getattr(request.app.state, "audit_unplaced_visible", False):
        within = or_(within, table.c.county_code == "")
    query = select(*table.columns).where(within)
    if filters.since is not None:
        query = query.where(table.c.recorded_at >= filters.since)
    if filters.until is not None:
        query = query.where(table.c.recorded_at < filters.until)
    if filters.client_id is not None:
        query = query.where(table.c.client_id == filters.client_id)
    if filters.action is not None:
        query = query.where(table.c.action == filters.action)
    if filters.kind is not None:
        query = query.where(table.c.kind == filters.kind)
    if filters.student_key is not None:
        query = query.where(table.c.student_keys.contains(filters.student_key, autoescape=True))
    return query


def _cursor_id(cursor: str | None) -> int | None:
    text = decode_cursor(cursor)
    if text is None:
        return None
    if not text.isdigit():
        raise InvalidInput(
            t("游标无效", "invalid cursor"),
            FieldError(
                "cursor", "cursor_format", t("请使用上一页的 next_cursor", "use next_cursor")
            ),
        )
    return int(text)


router = APIRouter(tags=["audit"])


@router.get(
    "/v1/audit",
    summary="审计记录 (the audit trail, newest first)",
    responses=problem_responses(),
)
async def list_audit(
    request: Request,
    principal: Auditor_,
    filters: Annotated[AuditFilters, Query()],
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """审计记录, newest first: who read or changed what, for whom, why, and how it ended."""
    auditor = _auditor(request)
    await auditor.flush()
    table = auditor.store.table
    query = _selected(request, auditor, principal, filters)
    after = _cursor_id(cursor)
    if after is not None:
        query = query.where(table.c.id < after)
    async with auditor.sessionmaker() as session:
        rows = (
            await session.execute(query.order_by(table.c.id.desc()).limit(fetch_limit(limit)))
        ).all()
    page, next_cursor = cut_page(rows, limit, key=lambda row: str(row.id))
    return AuditPage(items=[AuditEntryRead.of(row) for row in page], next_cursor=next_cursor)


@router.get(
    "/v1/audit/verify",
    summary="核验审计哈希链 (verify the audit trail's hash chain)",
    responses=problem_responses(),
)
async def verify_audit(request: Request, _: Auditor_) -> AuditVerifyRead:
    """Recompute the hash chain from the end of the archive; names the first broken entry."""
    auditor = _auditor(request)
    if auditor.enabled:
        await auditor.flush()
        await auditor.chain_now()  # what was appended up to now, linked first
    async with auditor.sessionmaker() as session:
        status = await auditor.store.verify(session)
    return AuditVerifyRead(
        intact=status.broken_seq is None,
        chained=status.chained,
        head_hash=status.head_hash,
        unchained=status.unchained,
        archived=status.archived,
        broken_seq=status.broken_seq,
        reason=None if status.reason is None else localized(status.reason, "en"),
    )


@router.get(
    "/v1/audit/export",
    summary="导出审计记录 (export the audit trail as NDJSON)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {}}, "description": "one entry a line"},
        **problem_responses(),
    },
)
async def export_audit(
    request: Request, principal: Auditor_, filters: Annotated[AuditFilters, Query()]
) -> StreamingResponse:
    """审计记录导出: every matching entry, oldest first, one JSON object a line."""
    auditor = _auditor(request)
    table = auditor.store.table
    query = _selected(request, auditor, principal, filters)
    await auditor.flush()

    async def lines() -> AsyncIterator[bytes]:
        after = 0
        while True:
            async with auditor.sessionmaker() as session:
                rows = (
                    await session.execute(
                        query.where(table.c.id > after).order_by(table.c.id).limit(EXPORT_PAGE)
                    )
                ).all()
            for row in rows:
                yield AuditEntryRead.of(row).model_dump_json().encode() + b"\n"
            if len(rows) < EXPORT_PAGE:
                return
            after = rows[-1].id

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def ndjson_line(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, ensure_ascii=False, default=str, sort_keys=True).encode() + b"\n"


__all__ = ["AUDIT_READ", "AuditEntryRead", "AuditPage", "AuditVerifyRead", "router", "rules"]
