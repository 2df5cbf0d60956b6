"""An endpoint's audit in one line, and the middleware that writes it with the answer's status.

    audit: Annotated[AuditTrail, Depends(audit_of("application", "read"))]
    …
    audit.touched(ids=[str(application.id)], student_keys=[key], classes=["personal"])

Declare `audit` before the principal so that a refused read (403) is recorded too. The entry is
written when the answer starts (`AuditMiddleware`, on `http.response.start`), with its status:
2xx ok, 401/403 denied, 404 not_found, other 4xx refused, 5xx failed. A request without a
verified caller (401) is not recorded: no one to name. The entry is committed by group commit,
off the answer's path unless the deployment asks answers to wait for it (`Auditor.durable`,
JUNHENG_AUDIT_DURABLE: then an entry that cannot be written fails its request).

`X-On-Behalf-Of` (the end user an app backend acts for, ≤ 128 printable characters, else 422)
and `X-Purpose` (≤ 200, else 422; when absent the client's `purpose` claim, when that is absent
`unspecified`) are read here and documented on every audited operation.

A client registered with `--purpose-required` (its tokens carry `purpose_required: true`) must
declare `X-Purpose` on every call: without it the operation is refused before it runs (403
`purpose-required`, field `header.x-purpose`, rule `purpose_required`) — its registered default
purpose does not count, the point being a purpose per call — and the refusal is recorded
(outcome denied).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Header, Request

from junheng_kit.audit import rules
from junheng_kit.audit.trail import AuditRecord
from junheng_kit.auth import Principal, bearer_token, principal_for_request
from junheng_kit.context import current_request_id
from junheng_kit.i18n import t
from junheng_kit.problems import DomainError, FieldError, Forbidden

TRAIL = "junheng.audit"  # the ASGI scope key an endpoint's trail is kept under

ASGIApp = Any
PURPOSE_REQUIRED_CLAIM = "purpose_required"  # a token claim: every audited call declares why


class PurposeRequired(Forbidden):
    slug, title = "purpose-required", t("须声明访问目的", "A declared purpose is required")


def require_declared_purpose(principal: Principal | None, declared: str | None) -> None:
    """Refuse (403) an audited call without `X-Purpose` from a client whose tokens say
    `purpose_required: true`; its registered default purpose does not stand in for one."""
    if principal is None or declared is not None:
        return
    if principal.claims.get(PURPOSE_REQUIRED_CLAIM) is True:
        raise PurposeRequired(
            t(
                "此客户端须在每次访问个人信息时声明用途 (X-Purpose)",
                "this client must declare a purpose (X-Purpose) on every personal-data call",
            ),
            FieldError(
                "header.x-purpose",
                PURPOSE_REQUIRED_CLAIM,
                t("缺少 X-Purpose 请求头", "the X-Purpose header is missing"),
            ),
        )


@dataclass
class AuditTrail:
    """What one request did with personal data; `touched` may be called more than once."""

    kind: str
    action: str
    on_behalf_of: str | None = None
    purpose: str | None = None
    record_ids: list[str] = field(default_factory=list)
    student_keys: list[str] = field(default_factory=list)
    classes: set[str] = field(default_factory=set)
    county_code: str | None = None
    record_count: int | None = None
    query_digest: str | None = None
    # who, when no verified token names the caller (the token endpoint: the client id claimed)
    client_id: str | None = None

    def touched(
        self,
        *,
        ids: Sequence[object] = (),
        student_keys: Sequence[str | None] = (),
        classes: Sequence[str] = (),
        county_code: str | None = None,
        count: int | None = None,
    ) -> None:
        self.record_ids.extend(str(i) for i in ids)
        self.student_keys.extend(k for k in student_keys if k)
        self.classes.update(classes)
        if county_code and self.county_code is None:
            self.county_code = county_code
        if count is not None:
            self.record_count = (self.record_count or 0) + count

    def record(self, scope: dict[str, Any], status: int) -> AuditRecord | None:
        found = scope.get("state", {}).get("principal")
        principal = found if isinstance(found, Principal) else None
        if principal is None and self.client_id is None:
            return None  # no verified caller (401): nothing to attribute
        prefixes = principal.jurisdiction.prefixes if principal else ()
        client_default = principal.claims.get("purpose") if principal else None
        query = scope.get("query_string", b"").decode("latin-1")
        many = len(set(self.record_ids)) > rules.MAX_IDS or self.action == "export"
        return AuditRecord(
            client_id=principal.client_id if principal else str(self.client_id),
            on_behalf_of=self.on_behalf_of,
            purpose=rules.purpose_of(self.purpose, client_default),
            action=self.action,
            kind=self.kind,
            county_code=self.county_code or (prefixes[0] if len(prefixes) == 1 else ""),
            status=status,
            request_id=current_request_id() or str(scope.get("state", {}).get("request_id", "")),
            record_ids=self.record_ids,
            record_count=self.record_count,
            query_digest=(
                self.query_digest
                or (rules.query_digest(scope["method"], scope["path"], query) if many else None)
            ),
            student_keys=self.student_keys,
            classes=sorted(self.classes),
        )


def audit_of(kind: str, action: str) -> Callable[..., Awaitable[AuditTrail]]:
    """Dependency: this request's `AuditTrail` (kind of record, action), written with the
    answer's status by `AuditMiddleware`."""
    if action not in rules.ACTIONS:
        raise ValueError(f"audit action {action!r} is not one of {', '.join(rules.ACTIONS)}")

    async def dependency(
        request: Request,
        x_on_behalf_of: Annotated[
            str | None,
            Header(
                max_length=512,
                description="代表的最终用户 (≤ 128 个可打印字符)。The end user an app backend "
                "acts for (≤ 128 printable characters), recorded in the audit trail.",
            ),
        ] = None,
        x_purpose: Annotated[
            str | None,
            Header(
                max_length=512,
                description="本次访问个人信息的目的 (≤ 200 字符)；缺省为客户端登记的目的；"
                "登记为须声明用途的客户端缺少时返回 403。Why this call reads personal data "
                "(≤ 200 characters); the client's registered purpose when absent, else recorded "
                "as `unspecified` — but a client registered as purpose-required is refused "
                "without it (403 `purpose-required`).",
            ),
        ] = None,
    ) -> AuditTrail:
        trail = AuditTrail(kind, action)
        request.scope[TRAIL] = trail  # a refusal below is recorded too
        principal = None
        if bearer_token(request) is not None:  # named even when refused here (cached)
            with contextlib.suppress(DomainError):
                principal = await principal_for_request(request)
        trail.on_behalf_of = rules.checked_on_behalf_of(x_on_behalf_of)
        trail.purpose = rules.checked_purpose(x_purpose)
        require_declared_purpose(principal, trail.purpose)  # before the operation runs
        return trail

    return dependency


def fast_trail(scope: dict[str, Any], principal: Principal, kind: str, action: str) -> AuditTrail:
    """A fast route's trail (junheng_kit.fast_routes: no dependencies run): the caller it
    verified, the declared headers checked as `audit_of` does (422 when invalid, 403 when the
    client must declare a purpose and did not)."""
    scope.setdefault("state", {})["principal"] = principal
    trail = AuditTrail(kind, action)
    scope[TRAIL] = trail
    headers = {k: v for k, v in scope["headers"] if k in (b"x-on-behalf-of", b"x-purpose")}
    on_behalf_of, purpose = headers.get(b"x-on-behalf-of"), headers.get(b"x-purpose")
    trail.on_behalf_of = rules.checked_on_behalf_of(
        on_behalf_of.decode("latin-1") if on_behalf_of is not None else None
    )
    trail.purpose = rules.checked_purpose(
        purpose.decode("latin-1") if purpose is not None else None
    )
    require_declared_purpose(principal, trail.purpose)
    return trail


class AuditMiddleware:
    """Writes the request's trail (if an endpoint declared one) when its answer starts."""

    def __init__(self, app: ASGIApp, fastapi_app: Any) -> None:
        self.app, self.fastapi_app = app, fastapi_app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                trail = scope.pop(TRAIL, None)
                auditor = getattr(self.fastapi_app.state, "auditor", None)
                if isinstance(trail, AuditTrail) and auditor is not None:
                    record = trail.record(scope, int(message["status"]))
                    if record is not None:
                        await auditor.record(record)
            await send(message)

        await self.app(scope, receive, sending)
