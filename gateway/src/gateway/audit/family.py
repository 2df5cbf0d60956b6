"""The family view: who looked at one child's data, across every service (issue 20 item 1).

`POST /v1/audit/children/search` with `{citizen_id}` (POST keeps the ID out of URLs and logs),
scope `audit:read` — an auditor's, or a bureau's clerk answering a guardian's access request:
the gateway computes the child's pseudonymous key (`junheng_kit.identifiers.student_key`, the
key every service records) and asks each service's `GET /v1/audit?student_key=` with the
caller's own token (so each service applies the caller's jurisdiction), then merges the entries
newest first with Chinese and English labels. A service that does not answer is named in
`unavailable`, never silently left out. The search itself is in the gateway's trail."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from junheng_kit.audit import AuditTrail, audit_of
from junheng_kit.audit.router import AUDIT_READ
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.bridge import BridgeClient, NoResponder, UpstreamTimeout
from junheng_kit.classification import Sensitive
from junheng_kit.context import current_request_id
from junheng_kit.identifiers import CitizenId, student_key
from junheng_kit.problems import BadRequest, Forbidden, UnsupportedMediaType, problem_responses

PER_SERVICE = 500  # newest entries asked of each service
TIMEOUT_S = 10.0

ACTIONS = {
    "read": ("查看", "read"),
    "search": ("查询", "search"),
    "export": ("导出", "export"),
    "import": ("导入", "import"),
    "create": ("录入", "create"),
    "update": ("修改", "update"),
    "delete": ("删除", "delete"),
    "admin": ("管理操作", "administrative act"),
}
KINDS = {
    "application": ("入学申请", "school application"),
    "student": ("学生名册", "student roster"),
    "access_log": ("查询记录", "access log"),
    "award": ("资助", "aid award"),
    "lookup": ("部门核查", "agency lookup"),
    "audit_trail": ("审计记录", "audit trail"),
}
SERVICES = {
    "enrollment": ("招生入学", "enrollment"),
    "assistance": ("学生资助", "student assistance"),
    "staffing": ("教师编制", "staffing"),
    "evaluation": ("均衡评估", "evaluation"),
}

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(require_scopes(AUDIT_READ))]
Searched = Annotated[AuditTrail, Depends(audit_of("audit_trail", "search"))]


class ChildAuditSearch(BaseModel):
    citizen_id: Annotated[CitizenId, Sensitive] = Field(
        description="the child's 公民身份号码 (checked, MOD 11-2)"
    )


class Label(BaseModel):
    zh: str
    en: str


class ChildAccessRead(BaseModel):
    service: str
    service_label: Label
    recorded_at: datetime
    client_id: str
    on_behalf_of: str | None
    purpose: str
    action: str
    action_label: Label
    kind: str
    kind_label: Label
    outcome: str
    classes: list[str]


class ChildAuditRead(BaseModel):
    student_key: str = Field(description="the child's pseudonymous key in every service")
    items: list[ChildAccessRead] = Field(description="newest first")
    unavailable: list[str] = Field(description="services that did not answer: not covered")


def _label(table: dict[str, tuple[str, str]], key: str) -> Label:
    zh, en = table.get(key, (key, key))
    return Label(zh=zh, en=en)


async def _entries_of(
    bridge: BridgeClient, service: str, key: str, authorization: str
) -> list[dict[str, Any]] | None:
    try:
        answer = await bridge.request(
            service,
            method="GET",
            path="/v1/audit",
            query=urlencode({"student_key": key, "limit": PER_SERVICE}),
            headers=[("authorization", authorization), ("x-request-id", current_request_id())],
            body=b"",
            timeout=TIMEOUT_S,
        )
    except (NoResponder, UpstreamTimeout):  # no replica, NATS away, timeout: named unavailable
        return None
    if answer.status != 200:
        return None
    items: list[dict[str, Any]] = json.loads(await answer.decoded())["items"]
    return items


@router.post(
    "/v1/audit/children/search",
    summary="Who looked at a child's data, in every service (个人信息访问记录)",
    responses=problem_responses(BadRequest, Forbidden, UnsupportedMediaType),
)
async def search_child_audit(
    audit: Searched, body: ChildAuditSearch, request: Request, principal: Auditor
) -> ChildAuditRead:
    """Every audit entry naming the child in each service the caller's jurisdiction covers:
    when, which client (and for whom), why, what it did, how it ended. 403 without
    `audit:read`."""
    state = request.app.state
    key = student_key(state.settings.pseudonym_key.get_secret_value().encode(), body.citizen_id)
    audit.touched(student_keys=[key])
    services = list(state.settings.services)
    bridge: BridgeClient | None = state.bridge
    authorization = request.headers.get("authorization", "")
    found = (
        await asyncio.gather(*[_entries_of(bridge, s, key, authorization) for s in services])
        if bridge is not None
        else [None] * len(services)
    )
    items = [
        ChildAccessRead(
            service=service,
            service_label=_label(SERVICES, service),
            recorded_at=entry["recorded_at"],
            client_id=entry["client_id"],
            on_behalf_of=entry["on_behalf_of"],
            purpose=entry["purpose"],
            action=entry["action"],
            action_label=_label(ACTIONS, entry["action"]),
            kind=entry["kind"],
            kind_label=_label(KINDS, entry["kind"]),
            outcome=entry["outcome"],
            classes=entry["classes"],
        )
        for service, entries in zip(services, found, strict=True)
        for entry in entries or []
    ]
    items.sort(key=lambda item: item.recorded_at, reverse=True)
    return ChildAuditRead(
        student_key=key,
        items=items,
        unavailable=[s for s, entries in zip(services, found, strict=True) if entries is None],
    )
