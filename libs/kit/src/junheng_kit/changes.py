"""The change feed: `GET /v1/changes?after=<cursor>` — what changed in a service, in order, for
another bureau's system or a family app's backend that must not poll every list (issue 18).

Built from the events the service already publishes (its JetStream stream, `<service>.>`):
the stream sequence orders them across replicas and restarts, and it is the same record the
other services consume, so the feed never says what did not happen. Each item is the event as
published (a CloudEvent: `id`, `type`, `subject` — the natural key, kept for deletions too —,
`time`, `jurisdiction`, `data`), which by contract carries no personal data.

- **Jurisdiction.** A client sees the events of its jurisdiction only; a page may scan past
  others' events without listing them, so it can come back with fewer items than `limit` (or
  none) and still a `next_cursor` that moves on.
- **Cursor.** Opaque and signed (HMAC with the service's secret key) over the feed, the client
  and the position: a cursor of another service's feed or another client is 422
  `cursor_invalid`. A cursor older than what the stream still keeps is 410 `cursor_expired`
  (events older than the stream's limits are gone: resynchronise from the lists).
- **caught_up** says the page reached the end of the stream as it was when the page was read;
  poll again later with the same `next_cursor`.
"""

import base64
import binascii
import hashlib
import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import BaseModel, Field

from junheng_contracts import STREAMS
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.i18n import t
from junheng_kit.problems import (
    DomainError,
    FieldError,
    InvalidInput,
    ServiceUnavailable,
    problem_responses,
)

SCAN_LIMIT = 5_000  # events read per page at most, listed or not
READ_TIMEOUT_S = 2.0


class Gone(DomainError):
    status, slug, title = 410, "gone", t("已不再提供", "No longer available")


class Change(BaseModel):
    """One published event, as the service's stream holds it."""

    sequence: int = Field(description="position in the service's feed")
    id: str
    type: str = Field(examples=["enrollment.admission.confirmed"])
    source: str
    subject: str | None = Field(description="the natural key of what changed")
    time: str
    jurisdiction: str | None
    data: dict[str, Any]


class ChangePage(BaseModel):
    items: list[Change]
    next_cursor: str | None = Field(
        description="pass as `after` for what follows; null only when the feed is empty"
    )
    caught_up: bool = Field(description="the page reached the end of the feed as it was")


def _stream_of(service: str) -> str:
    for stream, subject in STREAMS.items():
        if subject == f"{service}.>":
            return stream
    raise ValueError(f"{service} publishes no stream")


def _signature(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_cursor(key: bytes, service: str, client_id: str, sequence: int) -> str:
    body = f"{service}:{sequence}"
    token = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return f"{token}.{_signature(key, f'{body}:{client_id}')}"


def decode_cursor(key: bytes, service: str, client_id: str, cursor: str) -> int:
    invalid = InvalidInput(
        t(
            "游标无效：不是此订阅源发给此客户端的游标",
            "the cursor is not one this feed issued to this client",
        ),
        FieldError(
            "query.after",
            "cursor_invalid",
            t(f"应为 {service} 订阅源返回的 `next_cursor`", f"a `next_cursor` of {service}'s feed"),
        ),
    )
    token, _, signature = cursor.partition(".")
    try:
        body = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    feed, _, position = body.partition(":")
    expected = _signature(key, f"{body}:{client_id}")
    if feed != service or not position.isdigit() or not hmac.compare_digest(signature, expected):
        raise invalid
    return int(position)


async def read_changes(
    js: Any,
    service: str,
    *,
    start: int,
    end: int,
    limit: int,
    principal: Principal,
    types: frozenset[str],
) -> tuple[list[Change], int]:
    """Events `start`..`end` of the service's stream (an ordered, ephemeral consumer), those
    of the client's jurisdiction (and `types`, when given) listed, up to `limit`; returns them
    and the last sequence read."""
    subscription = await js.subscribe(
        f"{service}.>",
        ordered_consumer=True,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start,
            ack_policy=AckPolicy.NONE,
            mem_storage=True,
        ),
    )
    items: list[Change] = []
    last = start - 1
    try:
        while last < end and len(items) < limit:
            message = await subscription.next_msg(timeout=READ_TIMEOUT_S)
            last = message.metadata.sequence.stream
            event = json.loads(message.data)
            jurisdiction = event.get("jurisdiction")
            if jurisdiction is None or not principal.jurisdiction.covers_code(jurisdiction):
                continue
            if types and event.get("type") not in types:
                continue
            items.append(
                Change(
                    sequence=last,
                    id=event["id"],
                    type=event["type"],
                    source=event["source"],
                    subject=event.get("subject"),
                    time=event["time"],
                    jurisdiction=jurisdiction,
                    data=event.get("data") or {},
                )
            )
    except TimeoutError:
        pass  # the stream had less than its info said (purged meanwhile): the page ends here
    finally:
        await subscription.unsubscribe()
    return items, last


def changes_router(service: str) -> APIRouter:
    """`GET /v1/changes` of `service` (scope `<service>:read`)."""
    router = APIRouter(prefix="/v1/changes", tags=["changes"])
    reader = Annotated[Principal, Depends(require_scopes(f"{service}:read"))]
    stream = _stream_of(service)

    @router.get(
        "",
        summary="What changed, in order (变更订阅: a cursor-paged feed of the published events)",
        responses=problem_responses(InvalidInput, Gone, ServiceUnavailable),
    )
    async def list_changes(
        request: Request,
        principal: reader,
        after: Annotated[
            str | None,
            Query(max_length=200, description="the `next_cursor` of the previous page"),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="events per page")] = 100,
        type: Annotated[
            list[str] | None,
            Query(description="only these event types (repeat the parameter)"),
        ] = None,
    ) -> ChangePage:
        """The service's events of the caller's jurisdiction after `after` (from the oldest kept
        without it), oldest first. Poll with the last `next_cursor`; `caught_up` says there was
        nothing more when the page was read."""
        js = request.app.state.js
        if js is None:
            raise ServiceUnavailable(
                t(
                    "消息服务暂不可用，请稍后重试",
                    "the message plane is not connected; try again shortly",
                ),
                headers={"Retry-After": "1"},
            )
        key = request.app.state.settings.secret_key.get_secret_value().encode()
        info = (await js.stream_info(stream)).state
        first, last = int(info.first_seq), int(info.last_seq)
        start = first
        if after is not None:
            position = decode_cursor(key, service, principal.client_id, after)
            if position + 1 < first:
                raise Gone(
                    t(
                        f"游标已过期：{position} 之后的事件已不再保留（订阅源从 {first} "
                        "开始），请从列表重新同步",
                        f"events after {position} are no longer kept (the feed starts at "
                        f"{first}); resynchronise from the lists",
                    ),
                    FieldError(
                        "query.after",
                        "cursor_expired",
                        t(f"最早保留的位置：{first}", f"oldest kept: {first}"),
                    ),
                )
            start = position + 1
        end = min(last, start + SCAN_LIMIT - 1)
        if last == 0 or start > last:
            position = max(start - 1, 0)
            cursor = (
                None
                if last == 0 and after is None
                else encode_cursor(key, service, principal.client_id, position)
            )
            return ChangePage(items=[], next_cursor=cursor, caught_up=True)
        items, read_up_to = await read_changes(
            js,
            service,
            start=start,
            end=end,
            limit=limit,
            principal=principal,
            types=frozenset(type or ()),
        )
        return ChangePage(
            items=items,
            next_cursor=encode_cursor(key, service, principal.client_id, read_up_to),
            caught_up=read_up_to >= last,
        )

    return router
