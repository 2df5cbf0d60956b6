"""个人信息查阅、复制 across the services (《个人信息保护法》第四十五条; issue 20 item 4): one
`POST /v1/children/export` asks every service for what it holds about one child (each service's
own `POST /v1/children/export`, with the caller's token: each checks its own `<service>:pii`
scope and jurisdiction) and answers one bundle. A service that cannot answer is named in
`not_included` with why, never silently left out. `POST /v1/children/export.pdf` prints the
same bundle for the family (gateway/export_pdf.py)."""

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from gateway.export_pdf import bundle_pdf
from gateway.settings import SERVICES
from junheng_kit.app import operation_id
from junheng_kit.auth import Principal, principal_for_request
from junheng_kit.bridge import BridgeClient, BrokerUnavailable, NoResponder, UpstreamTimeout
from junheng_kit.context import current_request_id
from junheng_kit.i18n import t
from junheng_kit.problems import (
    BadRequest,
    FieldError,
    Forbidden,
    ServiceUnavailable,
    UnsupportedMediaType,
    problem_responses,
)
from junheng_kit.retention.export import LEGAL_BASIS, ChildExportAsk
from junheng_kit.timeutil import utcnow

PII_SCOPES = tuple(f"{name}:pii" for name in SERVICES)
PATH = "/v1/children/export"
PDF_PATH = f"{PATH}.pdf"
PDF = "application/pdf"

router = APIRouter(tags=["exports"], generate_unique_id_function=operation_id)


async def pii_client(request: Request) -> Principal:
    """A verified client holding the personal-data scope of at least one service."""
    principal = await principal_for_request(request)
    if not principal.scopes & set(PII_SCOPES):
        raise Forbidden(
            t("令牌不含任何服务的个人信息权限范围", "token holds no personal-data scope"),
            FieldError(
                "scope",
                "scope_required",
                t("需要以下之一：" + " ".join(PII_SCOPES), "one of " + " ".join(PII_SCOPES)),
            ),
        )
    return principal


class NotIncluded(BaseModel):
    status: int = Field(description="the service's status (503: it did not answer)")
    detail: str


class ChildBundle(BaseModel):
    exported_at: datetime
    exported_by: str
    legal_basis: str
    services: dict[str, dict[str, Any]] = Field(
        description="per service, its export: every row it holds about the child, by table"
    )
    not_included: dict[str, NotIncluded] = Field(
        description="services whose data is not in the bundle, and why (scope, none offered, "
        "not running)"
    )


async def _ask(
    bridge: BridgeClient, service: str, request: Request, body: bytes, timeout: float
) -> tuple[str, dict[str, Any] | NotIncluded]:
    headers = [
        ("authorization", request.headers.get("authorization", "")),
        ("content-type", "application/json"),
        ("accept", "application/json"),
        ("x-request-id", current_request_id()),
        ("x-forwarded-prefix", f"/{service}"),
    ]
    try:
        answer = await bridge.request(
            service, method="POST", path=PATH, query="", headers=headers, body=body, timeout=timeout
        )
    except (BrokerUnavailable, NoResponder, UpstreamTimeout):
        return service, NotIncluded(status=503, detail=f"{service} did not answer")
    if answer.status == 200:
        document: dict[str, Any] = json.loads(answer.body)
        return service, document
    try:
        detail = str(json.loads(answer.body).get("detail", ""))
    except (ValueError, AttributeError):
        detail = ""
    if answer.status == 404:
        detail = detail or f"{service} offers no export"
    return service, NotIncluded(status=answer.status, detail=detail or f"status {answer.status}")


@router.post(
    PATH,
    summary="Everything the services hold about a child, in one bundle (access request)",
    responses=problem_responses(BadRequest, Forbidden, ServiceUnavailable, UnsupportedMediaType),
    # any one service's personal-data scope will do: alternatives, as OpenAPI writes them
    openapi_extra={"security": [{"OAuth2": [scope]} for scope in PII_SCOPES]},
)
async def export_child_bundle(
    body: ChildExportAsk,
    request: Request,
    principal: Annotated[Principal, Depends(pii_client)],
) -> ChildBundle:
    """个人信息查阅、复制 (《个人信息保护法》第四十五条): each service's export of the child (its
    own `POST /{service}/v1/children/export`, under the caller's token, so each answers within the
    caller's scopes and jurisdiction), gathered in one JSON bundle. A service the caller holds
    no `<service>:pii` scope for, that offers no export or does not answer is listed in
    `not_included` with its status. 403 `scope_required` without any `<service>:pii`."""
    return await gather_bundle(body, request, principal)


@router.post(
    PDF_PATH,
    summary="Everything the services hold about a child, printed for the family (PDF)",
    response_class=Response,
    responses={
        200: {"content": {PDF: {}}, "description": "the bundle as a PDF (A4)"},
        **problem_responses(BadRequest, Forbidden, ServiceUnavailable, UnsupportedMediaType),
    },
    openapi_extra={"security": [{"OAuth2": [scope]} for scope in PII_SCOPES]},
)
async def export_child_bundle_pdf(
    body: ChildExportAsk,
    request: Request,
    principal: Annotated[Principal, Depends(pii_client)],
) -> Response:
    """个人信息查阅副本: the same bundle as `POST /v1/children/export`, printed for the family —
    a cover (when, by whom, the legal basis), which services are included and which are not
    and why, then every record, table by table (gateway/export_pdf.py)."""
    bundle = await gather_bundle(body, request, principal)
    content = await run_in_threadpool(bundle_pdf, bundle.model_dump(mode="json"))
    name = f"child-data-{bundle.exported_at:%Y%m%d}.pdf"
    return Response(
        content, media_type=PDF, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def gather_bundle(
    body: ChildExportAsk, request: Request, principal: Principal
) -> ChildBundle:
    """Every service asked at once over NATS, under the caller's token."""
    bridge: BridgeClient | None = request.app.state.bridge
    if bridge is None:
        raise ServiceUnavailable(t("网关未连接到 NATS", "the gateway is not connected to NATS"))
    settings = request.app.state.settings
    payload = body.model_dump_json().encode()
    answers = await asyncio.gather(
        *(
            _ask(bridge, s, request, payload, settings.upstream_timeout_seconds)
            for s in settings.services
        )
    )
    return ChildBundle(
        exported_at=utcnow(),
        exported_by=principal.client_id,
        legal_basis=LEGAL_BASIS,
        services={s: a for s, a in answers if isinstance(a, dict)},
        not_included={s: a for s, a in answers if isinstance(a, NotIncluded)},
    )
