"""The forwarding layer: `/{service}/{path…}` → NATS request-reply to the service.

A raw ASGI middleware in front of the FastAPI app, so a forwarded request costs no routing,
dependency injection or validation in the gateway: token (cached by the kit until it expires),
scope, rate limit, body limit, one bridge request. Everything else falls through to FastAPI.
"""

from typing import Any

from gateway.limits import rules
from gateway.limits.rules import Policy
from gateway.limits.shared import SharedLimiter
from gateway.routing import compression
from junheng_kit.audit.router import AUDIT_READ
from junheng_kit.auth import Principal, TokenVerifier
from junheng_kit.bridge import (
    BridgeClient,
    BrokerUnavailable,
    ConnectionLost,
    NoResponder,
    UpstreamTimeout,
)
from junheng_kit.context import current_request_id
from junheng_kit.i18n import t as tt
from junheng_kit.problems import (
    DomainError,
    FieldError,
    Forbidden,
    GatewayTimeout,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    send_problem,
)

ASGIApp = Any
Scope = dict[str, Any]

# RFC 9110 §7.6.1 plus the de-facto ones; never forwarded in either direction
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-connection",
    }
)
# answered by the gateway (merged) or internal to the service: never forwarded
PRIVATE_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/metrics"})


class _Route:
    """Stands in for a Starlette route so request metrics get a low-cardinality label."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


class ServiceRouter:
    """ASGI middleware; reads the bridge, verifier and limiter from the FastAPI app's state."""

    def __init__(self, app: ASGIApp, fastapi_app: Any) -> None:
        self.app = app
        self.state = fastapi_app.state
        settings = fastapi_app.state.settings
        self.services = frozenset(settings.services)
        self.max_body = int(settings.max_body_bytes)
        self.timeout = float(settings.upstream_timeout_seconds)
        self.routes = {s: _Route(f"/{s}/{{path}}") for s in self.services}
        self.limiter: SharedLimiter = fastapi_app.state.rate_limiter
        self.policy: Policy = fastapi_app.state.api_rate_limit
        self.policy_field = rules.policy_field(self.policy)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        service, slash, rest = path[1:].partition("/")
        if service not in self.services:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.routes[service]
        rest = slash + rest if slash else "/"
        limit_fields: dict[str, str] = {}  # RateLimit fields once the request counted
        try:
            await self._forward(scope, receive, send, service, rest, limit_fields)
        except DomainError as error:  # 429, and 413, 503, 504 after the request counted
            error.headers.update(limit_fields)
            await send_problem(send, error)
        except ClientGone:
            return

    async def _forward(
        self,
        scope: Scope,
        receive: Any,
        send: Any,
        service: str,
        rest: str,
        limit_fields: dict[str, str],
    ) -> None:
        if rest.rstrip("/") in PRIVATE_PATHS:
            raise NotFound(
                tt(
                    f"{scope['path']} 不对外公开；请参阅 /openapi.json 和 /docs",
                    f"{scope['path']} is not published; see /openapi.json and /docs",
                )
            )
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        authorization = b""
        content_length = -1
        connection_tokens: set[bytes] = set()
        accepted: frozenset[str] = frozenset()
        for name, value in headers:
            if name == b"authorization":
                authorization = value
            elif name == b"accept-encoding":
                accepted = compression.accepted_codings(value)
            elif name == b"content-length":
                content_length = int(value) if value.isdigit() else -1
            elif name == b"connection":
                connection_tokens.update(t.strip().lower() for t in value.split(b","))
        principal = await self._principal(authorization)
        auditing = rest.startswith("/v1/audit") and AUDIT_READ in principal.scopes
        if not auditing and not any(s.startswith(service + ":") for s in principal.scopes):
            raise Forbidden(
                tt(f"令牌没有 {service} 的权限范围", f"token has no {service} scope"),
                FieldError(
                    "scope", "scope_required", tt(f"需要 {service}:read", f"{service}:read")
                ),
            )
        decision = await self.limiter.acquire(self.policy, principal.client_id)
        limit_field = rules.limit_field(self.policy, decision)
        limit_fields["RateLimit-Policy"] = self.policy_field
        limit_fields["RateLimit"] = limit_field
        if not decision.allowed:
            raise TooManyRequests(
                tt("超出调用频率限制", "rate limit exceeded"),
                FieldError("client_id", "rate_limit"),
                headers={"Retry-After": str(decision.reset_seconds)},
            )
        if content_length > self.max_body:
            raise _too_large(self.max_body)
        body = await self._read_body(receive)
        bridge: BridgeClient | None = self.state.bridge
        if bridge is None:
            raise ServiceUnavailable(
                tt("网关未连接到 NATS", "the gateway is not connected to NATS")
            )
        drop = HOP_BY_HOP | connection_tokens
        forwarded = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in headers
            if k not in drop and k != b"x-request-id"
        ]
        forwarded.append(("x-request-id", current_request_id()))
        forwarded.append(("x-forwarded-prefix", f"/{service}"))
        client = scope.get("client")
        if client:
            forwarded.append(("x-forwarded-for", str(client[0])))
        try:
            response = await bridge.request(
                service,
                method=scope["method"],
                path=rest,
                query=scope.get("query_string", b"").decode("latin-1"),
                headers=forwarded,
                body=body,
                timeout=self.timeout,
                keep_deflated="deflate" in accepted,
            )
        except BrokerUnavailable as exc:
            raise ServiceUnavailable(
                tt(
                    "网关正在重新连接 NATS，请求未发送",
                    "the gateway is reconnecting to NATS; the request was not sent",
                ),
                headers={"Retry-After": "1"},
            ) from exc
        except NoResponder as exc:
            raise ServiceUnavailable(
                tt(f"没有正在运行的 {service} 实例", f"no {service} replica is running"),
                headers={"Retry-After": "1"},
            ) from exc
        except ConnectionLost as exc:
            raise GatewayTimeout(
                tt(
                    f"{service} 应答期间与 NATS 的连接中断，请求可能已执行：请使用相同的 "
                    "Idempotency-Key 重试",
                    f"the connection to NATS was lost while {service} was answering; the request "
                    "may have run: retry with the same Idempotency-Key",
                )
            ) from exc
        except UpstreamTimeout as exc:
            raise GatewayTimeout(
                tt(
                    f"{service} 未在 {self.timeout:g} 秒内应答",
                    f"{service} did not answer within {self.timeout:g} s",
                )
            ) from exc
        out = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        prefix = f"/{service}".encode()
        out = [
            (k, as_seen_here(v, prefix) if k in LINK_HEADERS else v)
            for k, v in out
            if k not in HOP_BY_HOP and k not in (b"content-length", b"x-request-id")
        ]
        payload, coding = response.body, response.encoding
        # a deflated body was large enough to be deflated: only its kind decides
        size = compression.MIN_BYTES if coding else len(payload)
        if compression.compressible(response.status, out, size):
            out = compression.with_vary(out)
            if coding is None and (wanted := [c for c in compression.CODINGS if c in accepted]):
                coding = wanted[0]
                payload = await compression.compress(payload, coding)
        elif coding is not None:  # not to be compressed (an ETag): as the service sent it
            payload, coding = await response.decoded(), None
        if coding is not None:
            out.append((b"content-encoding", coding.encode()))
        out.append((b"ratelimit-policy", self.policy_field.encode()))
        out.append((b"ratelimit", limit_field.encode()))
        if response.status != 304:  # a 304's length would be the 200's (RFC 9110 §8.6)
            out.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        await send({"type": "http.response.body", "body": payload})

    async def _principal(self, authorization: bytes) -> Principal:
        scheme, _, raw = authorization.decode("latin-1").partition(" ")
        token = raw.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized(
                tt("需要 bearer 令牌", "a bearer token is required"),
                FieldError("authorization", "bearer_token_required"),
                headers={"WWW-Authenticate": 'Bearer realm="junheng"'},
            )
        verifier: TokenVerifier = self.state.token_verifier  # caches verified tokens until exp
        return await verifier.verify(token)

    async def _read_body(self, receive: Any) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _too_large(self.max_body)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


LINK_HEADERS = frozenset({b"location", b"content-location"})


def as_seen_here(link: bytes, prefix: bytes) -> bytes:
    """A service's own link (`/v1/schools/…`) as the gateway's caller must follow it
    (`/enrollment/v1/schools/…`): absolute paths get the service's prefix, once; absolute URLs
    and relative references are the service's to get right and pass unchanged."""
    if not link.startswith(b"/") or link.startswith(b"//"):
        return link
    if link == prefix or link.startswith(prefix + b"/"):
        return link
    return prefix + link


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        tt(f"请求体超过 {limit} 字节", f"request body exceeds {limit} bytes"),
        FieldError("body", "max_body_bytes", str(limit)),
    )
