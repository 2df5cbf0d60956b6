"""A request may carry only what its operation declares (issue 18, honest HTTP).

- **Unknown query parameters** are a 422 naming each (`query.<name>`, rule
  `query_parameter_known`) instead of being ignored: `?county=110101` on a list that takes
  `county_code` would otherwise answer every school, and the client would never know.
- **A body in a media type the operation does not take** is a 415 (rule `media_type`, with
  `Accept-Post` / `Accept-Patch` / `Accept-Put`… naming what it takes) instead of a schema 422:
  an operation whose body is a model takes `application/json` (or any `+json` type).
  Operations that read their body raw (sheet imports, the token endpoint's form) declare no
  body parameter and check their own media types.

One mechanism for every route of an app: the app-level dependency `DECLARED_INPUTS`
(`FastAPI(dependencies=[DECLARED_INPUTS])`) reads what the matched route declares from FastAPI's
own dependency tree, so a new endpoint is covered without code of its own. It runs after the
body is read and before any parameter is validated, so its answer comes first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, InvalidInput, UnsupportedMediaType

JSON = "application/json"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CACHE = "_junheng_declared_inputs"  # on the route: (query names, takes a body)


async def check_declared_inputs(request: Request) -> None:
    """The app-level dependency: 422 for an unknown query parameter, 415 for a body of a media
    type the matched operation does not take."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared: tuple[frozenset[str], bool] | None = getattr(route, CACHE, None)
    if declared is None:
        known, takes_body = _declared(route.dependant)
        declared = (frozenset(known), takes_body)
        setattr(route, CACHE, declared)
    known_names, takes_body = declared
    check_query(request.scope.get("query_string", b""), known_names)
    if takes_body and request.method in BODY_METHODS:
        check_media_type(request.scope, (JSON,))


DECLARED_INPUTS = Depends(check_declared_inputs)


def _declared(dependant: Dependant) -> tuple[set[str], bool]:
    """The query parameter names (a query model's fields by alias) of a route and every
    dependency it has, and whether any of them takes a body."""
    known: set[str] = set()
    takes_body = False
    pending = [dependant]
    while pending:
        current = pending.pop()
        for param in current.query_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                known.update(f.alias or name for name, f in model.model_fields.items())
            else:
                known.add(param.alias)
        takes_body = takes_body or bool(current.body_params)
        pending += current.dependencies
    return known, takes_body


def check_query(query_string: bytes, known: frozenset[str]) -> None:
    if not query_string:
        return
    names = dict.fromkeys(name for name, _ in parse_qsl(query_string.decode("latin-1"), True))
    unknown = [name for name in names if name not in known]
    if not unknown:
        return
    takes = ", ".join(sorted(known)) or "none"
    raise InvalidInput(
        t(
            f"未知的查询参数 {', '.join(unknown)}；此操作接受：{takes}",
            f"unknown query parameter {', '.join(unknown)}; this operation takes: {takes}",
        ),
        *(
            FieldError(
                f"query.{name}", "query_parameter_known", t(f"可用参数：{takes}", f"takes: {takes}")
            )
            for name in unknown
        ),
    )


def _header(scope: Any, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


def has_body(scope: Any) -> bool:
    length = _header(scope, b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0")
    return _header(scope, b"transfer-encoding") is not None


def check_media_type(scope: Any, media: tuple[str, ...]) -> None:
    """415 when the request has a body whose media type the operation does not take."""
    if not has_body(scope):
        return  # no body: FastAPI's schema check names what is missing
    given = (_header(scope, b"content-type") or b"").decode("latin-1")
    media_type = given.split(";", 1)[0].strip().lower()
    if media_type in media or (JSON in media and media_type.endswith("+json")):
        return
    accepted = ", ".join(media)
    method = scope["method"]
    raise UnsupportedMediaType(
        t(
            f"不支持的请求体类型：此操作接受 {accepted}，而不是 {media_type or '无 Content-Type'}",
            f"this operation takes a body of {accepted}, not {media_type or 'no Content-Type'}",
        ),
        FieldError("header.content-type", "media_type", accepted),
        headers={f"Accept-{method.capitalize()}": accepted},
    )
