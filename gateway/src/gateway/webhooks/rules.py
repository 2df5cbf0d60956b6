"""Pure rules of webhook subscriptions and deliveries (no I/O): what a subscription may name,
which addresses the gateway may connect to, who receives an event, the retry schedule and the
Standard Webhooks signature."""

import base64
import hashlib
import hmac
import ipaddress
import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, Forbidden, InvalidInput

# Standard Webhooks (standardwebhooks.com): the headers, the secret's form and the signature
HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks form, not a secret
SECRET_BYTES = 32
SIGNATURE_VERSION = "v1"
CONTENT_TYPE = "application/cloudevents+json"  # CloudEvents 1.0 HTTP binding, structured mode
# plain http only where nothing leaves the machine or the test
PLAIN_HTTP_ENVIRONMENTS = frozenset({"dev", "test"})
MAX_URL_LENGTH = 2000

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Target:
    """Where a subscription's URL points: what the address checks need."""

    scheme: str
    host: str  # without brackets for an IPv6 literal
    port: int


def _url_error(rule: str, message: str) -> InvalidInput:
    return InvalidInput(
        t(f"回调地址不可用：{message}", f"the webhook URL is not accepted: {message}"),
        FieldError("url", rule, message),
    )


def parse_url(url: str, *, environment: str) -> Target:
    """An absolute https URL (http too with JUNHENG_ENV=dev or test) with a host, without
    credentials or fragment; 422 naming `url` otherwise (`webhook_https`,
    `webhook_url_format`)."""
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in url):
        raise _url_error("webhook_url_format", "an absolute URL without spaces, ≤ 2000 chars")
    parts = urlsplit(url)
    schemes = ("https", "http") if environment in PLAIN_HTTP_ENVIRONMENTS else ("https",)
    if parts.scheme.lower() not in schemes:
        raise _url_error(
            "webhook_https",
            "an https URL is required" + (" (or http in dev/test)" if len(schemes) > 1 else ""),
        )
    if parts.username is not None or parts.password is not None:
        raise _url_error("webhook_url_format", "no user or password in the URL")
    if parts.fragment:
        raise _url_error("webhook_url_format", "no #fragment: it is never sent")
    try:
        port = parts.port
    except ValueError:
        raise _url_error("webhook_url_format", "the port is not a number 1–65535") from None
    host = parts.hostname
    if not host:
        raise _url_error("webhook_url_format", "the URL names no host")
    default = 443 if parts.scheme.lower() == "https" else 80
    return Target(parts.scheme.lower(), host, port or default)


def ip_literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded(address: Address) -> list[Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo): checked as well."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def refused_because(address: Address, allowed: Sequence[Network] = ()) -> str | None:
    """Why the gateway may not connect to `address` (SSRF: the bureau's own network, the
    cloud's metadata service, loopback), or None. `allowed`: networks an operator opened
    (GATEWAY_WEBHOOK_ALLOWED_NETWORKS: tests, a closed bureau network)."""
    if any(address in network for network in allowed):
        return None
    for inner in _embedded(address):
        reason = refused_because(inner, allowed)
        if reason is not None:
            return reason
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not public", not address.is_global),
    )
    return next((reason for reason, applies in checks if applies), None)


def public_address_error(host: str, address: Address, reason: str) -> InvalidInput:
    shown = host if host == str(address) else f"{host} → {address}"
    return _url_error("webhook_public_address", f"{shown} is {reason}: not reachable from here")


def read_scope(event_type: str) -> str:
    """The scope that reads an event type's producer: `enrollment:read` for enrollment.*."""
    return f"{event_type.split('.', 1)[0]}:read"


def check_event_types(
    requested: Sequence[str], *, known: Collection[str], scopes: Collection[str]
) -> list[str]:
    """The subscription's event types, each once: 422 when none is given or one is unknown
    (`event_types_required`, `event_type_known`), 403 naming the read scope of a producer the
    client may not read (`scope_required`)."""
    if not requested:
        raise InvalidInput(
            t("请至少选择一种事件类型", "name at least one event type"),
            FieldError("event_types", "event_types_required", t("未提供", "none given")),
        )
    unknown = [
        FieldError(
            f"event_types.{i}",
            "event_type_known",
            t(f"{name!r} 不是已发布的事件类型", f"{name!r} is not a published type"),
        )
        for i, name in enumerate(requested)
        if name not in known
    ]
    if unknown:
        raise InvalidInput(
            t("未知的事件类型（见 /asyncapi.json）", "unknown event type (see /asyncapi.json)"),
            *unknown,
        )
    missing = [
        FieldError(f"event_types.{i}", "scope_required", read_scope(name))
        for i, name in enumerate(requested)
        if read_scope(name) not in scopes
    ]
    if missing:
        needed = " ".join(sorted({read_scope(name) for name in requested} - set(scopes)))
        raise Forbidden(t(f"令牌缺少权限范围 {needed}", f"token lacks scope {needed}"), *missing)
    return sorted(set(requested))


def covers(prefixes: Sequence[str], code: str) -> bool:
    """A GB/T 2260 code is within a jurisdiction when one of its prefixes starts it."""
    return any(code.startswith(prefix) for prefix in prefixes)


@dataclass(frozen=True, slots=True)
class Subscriber:
    """What decides whether a subscription receives an event: its own event types and
    jurisdiction, and its client's current scopes and jurisdiction (a client narrowed after
    subscribing receives no more than it may read now)."""

    event_types: frozenset[str]
    jurisdiction: tuple[str, ...]
    client_scopes: frozenset[str]
    client_jurisdiction: tuple[str, ...]


def receives(subscriber: Subscriber, event_type: str, jurisdiction: str) -> bool:
    return (
        event_type in subscriber.event_types
        and read_scope(event_type) in subscriber.client_scopes
        and covers(subscriber.jurisdiction, jurisdiction)
        and covers(subscriber.client_jurisdiction, jurisdiction)
    )


@dataclass(frozen=True, slots=True)
class Published:
    """The fields of a published event the fan-out needs (the body is kept as it came)."""

    id: str
    type: str
    jurisdiction: str


def read_published(data: bytes) -> Published | None:
    """The envelope of a CloudEvent as the services publish it; None when it is not one (no
    id, type or jurisdiction): such a message is never delivered."""
    try:
        event = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(event, dict):
        return None
    values = [event.get(name) for name in ("id", "type", "jurisdiction")]
    if not all(isinstance(v, str) and 0 < len(v) <= 64 for v in values[::2]):
        return None
    if not isinstance(values[1], str) or not 0 < len(values[1]) <= 100:
        return None
    return Published(str(values[0]), str(values[1]), str(values[2]))


def retry_delay(failing_for_s: float, *, base_s: float, cap_s: float, jitter: float) -> float:
    """Seconds from a failed attempt to the next: as long as the delivery has been failing in
    its window so far (from its first attempt), at least `base_s`, at most `cap_s`, times
    `jitter` (the caller draws it in [0.8, 1.2]) — exponential backoff without a counter: with
    the defaults (5 s, 1 h) the attempts start ~0 s, 5 s, 10 s, 20 s, 40 s … 2560 s, 5120 s
    after the first, then hourly: 34 attempts in 24 h."""
    return min(max(failing_for_s, base_s), cap_s) * jitter


def share(
    due: Sequence[tuple[UUID, UUID]],
    *,
    busy: Mapping[UUID, int],
    per_subscription: int,
    limit: int,
) -> list[UUID]:
    """Which due (delivery, subscription) pairs a replica takes: up to `limit`, the first ones
    first, at most `per_subscription` in flight per subscription counting the `busy` ones — a
    receiver that never answers holds a few slots, not all of them."""
    taken = Counter(busy)
    chosen: list[UUID] = []
    for delivery, subscription in due:
        if len(chosen) >= limit:
            break
        if taken[subscription] >= per_subscription:
            continue
        taken[subscription] += 1
        chosen.append(delivery)
    return chosen


def gives_up(first_attempt_at: datetime, now: datetime, window: timedelta) -> bool:
    """A delivery is retried until `window` (24 h) after its first attempt; then it fails."""
    return now - first_attempt_at >= window


def disables(failing_since: datetime, now: datetime, after: timedelta) -> bool:
    """A subscription whose every attempt failed for `after` (24 h) is disabled."""
    return now - failing_since >= after


def new_secret(key: bytes) -> str:
    """`whsec_` + base64 of the key bytes (Standard Webhooks)."""
    return SECRET_PREFIX + base64.b64encode(key).decode()


def signatures(secrets: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: one `v1,…` signature per secret, space-separated
    (Standard Webhooks: a receiver accepts the message when any signature verifies) — the
    current secret first, then the previous one while a rotation overlaps."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets)


def previous_signs(until: datetime | None, now: datetime) -> bool:
    """The secret before a rotation still signs until `until`."""
    return until is not None and now < until


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), the key being the
    base64-decoded part of the secret after `whsec_` (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"
