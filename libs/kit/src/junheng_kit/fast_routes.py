"""Fast routes: the common case of a hot endpoint without FastAPI's per-request machinery.

FastAPI spends most of a small request on routing, dependency injection and validating the
response it was just given. For an endpoint that takes thousands of requests a second (an
application submission on enrollment's opening day) a service may register a *fast handler*
for `(method, path)`: it receives the request with its complete body and returns an ASGI
response — or None, and the request goes on to the FastAPI route unchanged.

The FastAPI route stays the endpoint's definition: its OpenAPI operation, and the answer to
everything the handler does not take (a missing or insufficient token, a body that does not
validate, another content type). A handler therefore only takes requests it fully understands,
and answers them with the same models. The request id, access log, metrics and
Idempotency-Key middlewares run around both ways; a `DomainError` the handler raises becomes the
usual problem+json answer, and so does an `IntegrityError` the kit maps (`junheng_kit.integrity`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from starlette.responses import Response

from junheng_kit.auth import Principal
from junheng_kit.integrity import problem_for_concurrent_update, problem_for_integrity_error
from junheng_kit.middleware import read_body, replaying
from junheng_kit.problems import DomainError, problem_response

ASGIApp = Any


class _Route:
    """Stands in for a Starlette route so request metrics get the route's template."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


@dataclass(frozen=True, slots=True)
class FastRequest:
    scope: dict[str, Any]
    body: bytes
    state: Any  # the FastAPI app's state: settings, sessionmaker, token verifier, relay

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.scope["headers"]:
            if key == name:
                return value  # type: ignore[no-any-return]
        return None

    def is_json(self) -> bool:
        media = (self.header(b"content-type") or b"").split(b";", 1)[0].strip().lower()
        return media == b"application/json" or media.endswith(b"+json")

    async def principal(self, *scopes: str) -> Principal | None:
        """The verified caller holding every one of `scopes`, or None (the route then answers
        401/403 as it always does)."""
        scheme, _, token = (self.header(b"authorization") or b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            principal: Principal = await self.state.token_verifier.verify(token.strip())
        except DomainError:
            return None
        return principal if all(s in principal.scopes for s in scopes) else None


FastHandler = Callable[[FastRequest], Awaitable[Response | None]]


class FastRoutes:
    """ASGI middleware in front of FastAPI's router: `(method, path)` → fast handler."""

    def __init__(
        self, app: ASGIApp, fastapi_app: Any, routes: Mapping[tuple[str, str], FastHandler]
    ) -> None:
        self.app, self.state = app, fastapi_app.state
        # a path ending in one `{parameter}` segment (`/v1/applications/{application_id}`)
        # takes any last segment without a slash; the handler reads it from scope["path"]
        self.routes = {k: h for k, h in routes.items() if not k[1].endswith("}")}
        self.by_prefix = {
            (method, path.rsplit("/", 1)[0] + "/"): (handler, path)
            for (method, path), handler in routes.items()
            if path.endswith("}")
        }
        self.templates = {key: _Route(key[1]) for key in routes}

    def _handler(self, scope: dict[str, Any]) -> tuple[FastHandler, tuple[str, str]] | None:
        if scope["type"] != "http":
            return None
        key = (scope.get("method"), scope.get("path"))
        handler = self.routes.get(key)  # type: ignore[arg-type]
        if handler is not None:
            return handler, key  # type: ignore[return-value]
        if not self.by_prefix:
            return None
        method, path = key
        prefix, _, last = (path or "").rpartition("/")
        found = self.by_prefix.get((method, prefix + "/")) if last else None  # type: ignore[arg-type]
        return None if found is None else (found[0], (method, found[1]))  # type: ignore[return-value]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        found = self._handler(scope)
        handler, key = found if found is not None else (None, None)
        if handler is None:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        try:
            response = await handler(FastRequest(scope, body, self.state))
        except DomainError as error:
            response = problem_response(error)
        except (DBAPIError, StaleDataError) as error:  # a lost race: the route's 409 too
            problem = problem_for_integrity_error(error) or problem_for_concurrent_update(error)
            if problem is None:
                raise
            response = problem_response(problem)
        if response is None:  # not ours to take: the FastAPI route answers
            await self.app(scope, replaying(body), send)
            return
        scope["route"] = self.templates[key]  # type: ignore[index]
        await response(scope, receive, send)
