"""`/v1/webhooks`: a client's webhook subscriptions, their delivery log and redelivery."""

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from gateway.settings import SERVICES
from gateway.webhooks import service
from gateway.webhooks.models import DeliveryStatus
from gateway.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    DeliveryStatusName,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookRead,
    WebhookSecretRotated,
)
from junheng_kit.app import operation_id
from junheng_kit.audit import AuditTrail, audit_of
from junheng_kit.auth import Principal, principal_for_request
from junheng_kit.db import SessionDep
from junheng_kit.i18n import t
from junheng_kit.pagination import (
    CursorQuery,
    LimitQuery,
    cut_page,
    decode_uuid_cursor,
    fetch_limit,
)
from junheng_kit.problems import (
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    UnsupportedMediaType,
    problem_responses,
)

READ_SCOPES = tuple(f"{name}:read" for name in SERVICES)
# any producer's read scope manages webhooks; each event type needs its own producer's
SECURITY: dict[str, Any] = {"security": [{"OAuth2": [scope]} for scope in READ_SCOPES]}

router = APIRouter(
    prefix="/v1/webhooks", tags=["webhooks"], generate_unique_id_function=operation_id
)


async def webhook_client(request: Request) -> Principal:
    """A verified client holding the read scope of at least one producer."""
    principal = await principal_for_request(request)
    if not principal.scopes & set(READ_SCOPES):
        raise Forbidden(
            t("令牌不含任何事件生产服务的读取权限范围", "token holds no read scope of a producer"),
            FieldError(
                "scope",
                "scope_required",
                t("需要以下之一：" + " ".join(READ_SCOPES), "one of " + " ".join(READ_SCOPES)),
            ),
        )
    return principal


Caller = Annotated[Principal, Depends(webhook_client)]
# a subscription created, removed, re-enabled or its secret rotated: administrative acts in the
# gateway's audit trail (junheng_kit.audit)
WebhookAct = Annotated[AuditTrail, Depends(audit_of("webhook", "admin"))]


@router.post(
    "",
    status_code=201,
    summary="Subscribe a URL to event types (订阅事件回调)",
    responses=problem_responses(BadRequest, UnsupportedMediaType, ServiceUnavailable),
    openapi_extra=SECURITY,
)
async def create_webhook(
    audit: WebhookAct,
    body: WebhookCreate,
    request: Request,
    session: SessionDep,
    principal: Caller,
    response: Response,
) -> WebhookCreated:
    """Events of the listed types in the token's jurisdiction are POSTed to `url` as
    CloudEvents JSON, signed (`webhook-id`, `webhook-timestamp`, `webhook-signature`: Standard
    Webhooks) with the `secret` of this answer — shown only here. 422 naming the field: `url`
    not https (`webhook_https`), its host not public (`webhook_public_address`) or not
    resolving (`webhook_host_resolves`); an unknown event type (`event_type_known`) or none
    (`event_types_required`). 403 `scope_required` names the read scope an event type needs.
    503 with `Retry-After` while the gateway cannot reach NATS (nothing is saved): the events
    of a type are read from NATS only while a subscription lists it."""
    state = request.app.state
    if state.webhook_fanout is not None:  # this replica's fan-out sees it once it commits
        state.webhook_fanout.forget_subscribers_after_commit(session)
    subscribed = await service.subscribe(
        session, principal, request=body, settings=state.settings, box=state.webhook_secrets
    )
    if state.webhook_fanout is not None:  # its types reach the fan-out before the answer
        await state.webhook_fanout.interest.widen(session)
    audit.touched(ids=[subscribed.subscription.id])
    response.headers["Location"] = f"/v1/webhooks/{subscribed.subscription.id}"
    return WebhookCreated(
        **WebhookRead.of(subscribed.subscription).model_dump(), secret=subscribed.secret
    )


@router.get(
    "",
    summary="The client's webhook subscriptions",
    responses=problem_responses(),
    openapi_extra=SECURITY,
)
async def list_webhooks(
    session: SessionDep, principal: Caller, limit: LimitQuery = 100, cursor: CursorQuery = None
) -> WebhookPage:
    found = await service.subscriptions(
        session, principal, after=decode_uuid_cursor(cursor), limit=fetch_limit(limit)
    )
    page, next_cursor = cut_page(found, limit, key=lambda s: s.id)
    return WebhookPage(items=[WebhookRead.of(s) for s in page], next_cursor=next_cursor)


@router.get(
    "/{webhook_id}",
    summary="One webhook subscription",
    responses=problem_responses(NotFound),
    openapi_extra=SECURITY,
)
async def get_webhook(webhook_id: UUID, session: SessionDep, principal: Caller) -> WebhookRead:
    return WebhookRead.of(
        await service.subscription(session, principal, subscription_id=webhook_id)
    )


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Unsubscribe (its delivery log goes with it)",
    responses=problem_responses(NotFound),
    openapi_extra=SECURITY,
)
async def delete_webhook(
    audit: WebhookAct, webhook_id: UUID, session: SessionDep, principal: Caller
) -> Response:
    audit.touched(ids=[webhook_id])
    await service.unsubscribe(session, principal, subscription_id=webhook_id)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/enable",
    summary="Enable a subscription disabled after persistent failure (重新启用)",
    responses=problem_responses(NotFound, ServiceUnavailable),
    openapi_extra=SECURITY,
)
async def enable_webhook(
    audit: WebhookAct, webhook_id: UUID, request: Request, session: SessionDep, principal: Caller
) -> WebhookRead:
    """Its parked deliveries are attempted again at once, each with a new retry window. 503
    with `Retry-After` while the gateway cannot reach NATS (nothing changes)."""
    audit.touched(ids=[webhook_id])
    fanout = request.app.state.webhook_fanout
    if fanout is not None:
        fanout.forget_subscribers_after_commit(session)
    enabled = await service.enable(session, principal, subscription_id=webhook_id)
    if fanout is not None:  # its types reach the fan-out before the answer
        await fanout.interest.widen(session)
    return WebhookRead.of(enabled)


@router.post(
    "/{webhook_id}/secret",
    summary="Rotate the signing secret (轮换签名密钥)",
    responses=problem_responses(NotFound),
    openapi_extra=SECURITY,
)
async def rotate_webhook_secret(
    audit: WebhookAct, webhook_id: UUID, request: Request, session: SessionDep, principal: Caller
) -> WebhookSecretRotated:
    """A new signing secret, shown only in this answer. Until `previous_valid_until` (24 h by
    default) every delivery carries two signatures in `webhook-signature`, the new secret's
    first and the previous one's second, so the receiver can switch over without missing a
    delivery; after that only the new one signs. Rotating again within that time drops the
    oldest secret at once."""
    audit.touched(ids=[webhook_id])
    state = request.app.state
    rotated = await service.rotate_secret(
        session,
        principal,
        subscription_id=webhook_id,
        box=state.webhook_secrets,
        overlap=timedelta(seconds=state.settings.webhook_secret_overlap_seconds),
    )
    return WebhookSecretRotated(
        id=rotated.subscription.id,
        secret=rotated.secret,
        previous_valid_until=rotated.previous_valid_until,
    )


@router.get(
    "/{webhook_id}/deliveries",
    summary="The delivery log: each event, its attempts and answers, the next retry",
    responses=problem_responses(NotFound),
    openapi_extra=SECURITY,
)
async def list_webhook_deliveries(
    webhook_id: UUID,
    session: SessionDep,
    principal: Caller,
    status: Annotated[DeliveryStatusName | None, Query(description="only these")] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> DeliveryPage:
    found = await service.deliveries(
        session,
        principal,
        subscription_id=webhook_id,
        before=decode_uuid_cursor(cursor),
        limit=fetch_limit(limit),
        status=DeliveryStatus(status) if status else None,
    )
    page, next_cursor = cut_page(found, limit, key=lambda d: d.id)
    return DeliveryPage(items=page, next_cursor=next_cursor)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Deliver an event again (重新投递)",
    responses=problem_responses(NotFound, Conflict),
    openapi_extra=SECURITY,
)
async def redeliver_webhook_delivery(
    webhook_id: UUID, delivery_id: UUID, session: SessionDep, principal: Caller
) -> DeliveryRead:
    """Attempted again at once with a new retry window, whatever its status; the same
    `webhook-id`, so a receiver that already has it can tell. 409 `webhook_enabled` while the
    subscription is disabled."""
    return await service.redeliver(
        session, principal, subscription_id=webhook_id, delivery_id=delivery_id
    )
