"""Conditional GET (RFC 9110 §13.1.2): a `200` answer carrying an `ETag` that matches the
request's `If-None-Match` becomes `304 Not Modified` without a body — one mechanism for every
GET and HEAD of a service (and the gateway's own documents), not code per endpoint.

Weak comparison, as §13.1.2 asks for If-None-Match: `W/"7"` matches `"7"`; `*` matches any
current representation. The 304 keeps the headers a cache needs (§15.4.5: ETag, Cache-Control,
Content-Location, Date, Expires, Vary) and those about the exchange (RateLimit, X-Request-ID),
and drops the representation's own metadata (Content-Type, Content-Length, Content-Encoding,
Content-Language, Last-Modified: §15.4.5 asks not to send it). Anything else — another status,
no ETag, no match, another method — passes as the endpoint made it.
"""

from __future__ import annotations

from typing import Any

ASGIApp = Any
DROPPED_ON_304 = frozenset(
    {
        b"content-type",
        b"content-length",
        b"content-encoding",
        b"content-language",
        b"last-modified",
    }
)


def _opaque(tag: bytes) -> bytes:
    tag = tag.strip()
    return tag[2:] if tag.startswith(b"W/") else tag


def matches(if_none_match: bytes, etag: bytes) -> bool:
    """Whether an If-None-Match field value names `etag` (weak comparison)."""
    wanted = [t.strip() for t in if_none_match.split(b",") if t.strip()]
    if b"*" in wanted:
        return True
    current = _opaque(etag)
    return any(_opaque(t) == current for t in wanted)


class ConditionalGetMiddleware:
    """`304 Not Modified` for a GET/HEAD whose `If-None-Match` names the answer's ETag."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        condition = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
        if condition is None:
            await self.app(scope, receive, send)
            return
        not_modified = False

        async def send_or_304(message: dict[str, Any]) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                etag = next((v for k, v in headers if k.lower() == b"etag"), None)
                if message["status"] == 200 and etag is not None and matches(condition, etag):
                    not_modified = True
                    kept = [(k, v) for k, v in headers if k.lower() not in DROPPED_ON_304]
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    return
            elif message["type"] == "http.response.body" and not_modified:
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app(scope, receive, send_or_304)
