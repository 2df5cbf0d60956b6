"""RFC 9457 problem details: one error hierarchy, one JSON shape for every error."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from junheng_kit.context import current_request_id
from junheng_kit.db import is_database_unavailable
from junheng_kit.i18n import (
    ACCEPT_LANGUAGE_PARAMETER,
    CONTENT_LANGUAGE_REF,
    Message,
    RuleError,
    Text,
    current_language,
    language_headers,
    language_of_scope,
    localized,
    t,
    validation_text,
    with_language_components,
)
from junheng_kit.logs import scrub_text

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("junheng.problems")


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # "child.birth_date"
    rule: str  # stable id, policy terms welcome: "age_6_by_aug_31", "school_code_format"
    message: Message = ""


class DomainError(Exception):
    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[Text] = t("请求有误", "Bad request")

    def __init__(
        self, detail: Message, *errors: FieldError, headers: Mapping[str, str] | None = None
    ):
        # logs and tracebacks carry both languages; the answer carries the caller's
        super().__init__(f"{detail.zh} / {detail.en}" if isinstance(detail, Text) else detail)
        self.detail = detail
        self.errors: tuple[FieldError, ...] = errors
        self.headers = dict(headers or {})


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", t("需要身份认证", "Authentication required")


class Forbidden(DomainError):
    status, slug, title = (
        403,
        "forbidden",
        t("超出授权范围或管辖区域", "Outside scope or jurisdiction"),
    )


class NotFound(DomainError):
    status, slug, title = 404, "not-found", t("资源不存在", "Resource not found")


class Conflict(DomainError):
    status, slug, title = 409, "conflict", t("与当前状态冲突", "Conflicts with current state")


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", t("前提条件不满足", "Precondition failed")


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", t("请求体过大", "Request body too large")


class UnsupportedMediaType(DomainError):
    status, slug, title = (
        415,
        "unsupported-media-type",
        t("不支持的媒体类型", "Unsupported media type"),
    )


class InvalidInput(DomainError):
    status, slug, title = (
        422,
        "invalid-input",
        t("请求不符合接口定义", "Request does not match the schema"),
    )


class RuleViolated(DomainError):
    status, slug, title = 422, "rule-violated", t("不符合政策规则", "A policy rule is not met")


class PreconditionRequired(DomainError):
    status, slug, title = 428, "precondition-required", t("缺少前提条件", "Precondition required")


class TooManyRequests(DomainError):
    status, slug, title = 429, "rate-limited", t("请求过于频繁", "Too many requests")


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "service-unavailable", t("服务暂不可用", "Service unavailable")


class GatewayTimeout(DomainError):
    status, slug, title = (
        504,
        "upstream-timeout",
        t("上游服务未及时应答", "Upstream did not answer in time"),
    )


class ProblemFieldError(BaseModel):
    field: str = Field(examples=["school_code"])
    rule: str = Field(examples=["school_code_format"])
    message: str = ""


class Problem(BaseModel):
    """RFC 9457 problem details as Junheng sends them."""

    type: str = Field(examples=["urn:junheng:problem:invalid-input"])
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[ProblemFieldError] = Field(default_factory=list)


def problem_body(
    status: int,
    slug: str,
    title: Message,
    detail: Message,
    errors: Iterable[FieldError] = (),
    request_id: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The problem+json body, its texts in `language` (default: the request's, by
    `Accept-Language`, see junheng_kit.i18n)."""
    language = language or current_language()
    return {
        "type": f"urn:junheng:problem:{slug}",
        "title": localized(title, language),
        "status": status,
        "detail": localized(detail, language),
        "instance": f"urn:junheng:request:{request_id or current_request_id()}",
        "errors": [
            {"field": e.field, "rule": e.rule, "message": localized(e.message, language)}
            for e in errors
        ],
    }


async def send_problem(
    send: Any, error: DomainError, scope: Mapping[str, Any] | None = None
) -> None:
    """Send `error` as a problem+json answer on a raw ASGI `send` (middleware and the gateway's
    proxy, which answer before or without a FastAPI route), in the language of `scope`'s
    `Accept-Language` (default: the request's context)."""
    language = language_of_scope(scope) if scope is not None else current_language()
    body = json.dumps(
        problem_body(
            error.status, error.slug, error.title, error.detail, error.errors, language=language
        ),
        ensure_ascii=False,
    ).encode()
    headers = {**language_headers(language), **error.headers}
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def problem_response(error: DomainError, language: str | None = None) -> JSONResponse:
    language = language or current_language()
    body = problem_body(
        error.status, error.slug, error.title, error.detail, error.errors, language=language
    )
    return JSONResponse(
        body,
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers={**language_headers(language), **error.headers},
    )


_STATUS_SLUGS = {
    400: ("bad-request", t("请求有误", "Bad request")),
    401: ("unauthorized", t("需要身份认证", "Authentication required")),
    403: ("forbidden", t("超出授权范围或管辖区域", "Outside scope or jurisdiction")),
    404: ("not-found", t("资源不存在", "Resource not found")),
    405: ("method-not-allowed", t("不支持该请求方法", "Method not allowed")),
    406: ("not-acceptable", t("无法提供可接受的表示形式", "Not acceptable")),
    413: ("payload-too-large", t("请求体过大", "Request body too large")),
    415: ("unsupported-media-type", t("不支持的媒体类型", "Unsupported media type")),
}


UNION_TAG = "~"
"""Prefix of the tags of discriminated request unions: a tag names a form, not a field, and is
left out of the field an error names."""


def _field_of(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if not str(p).startswith(UNION_TAG)]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        source, rest = parts[0], parts[1:]
        if source != "body":
            return f"{source}.{'.'.join(rest)}" if rest else source
        parts = rest
    return ".".join(parts) or "body"


def _scrubbed(message: Message) -> Message:
    """A validation message never echoes a person's data (a validator's text may quote the
    value it refused): citizen IDs and mobile numbers in it are masked (junheng_kit.logs)."""
    if isinstance(message, Text):
        return Text(scrub_text(message.zh), scrub_text(message.en))
    return scrub_text(message)


def validation_field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic's errors as field errors: the error type is the rule, the message in both
    languages (junheng_kit.i18n.validation_text); a validator's `RuleError` names its own rule
    and message, and a plain `ValueError("rule_id: message")` its rule. The offending input is
    never echoed, and a person's data quoted in a message is masked."""
    return [FieldError(e.field, e.rule, _scrubbed(e.message)) for e in _field_errors(errors)]


def _field_errors(errors: Sequence[Any]) -> list[FieldError]:
    out = []
    for err in errors:
        field = _field_of(err.get("loc", ()))
        rule = str(err.get("type", "invalid"))
        ctx = err.get("ctx") if isinstance(err.get("ctx"), dict) else None
        if rule == "value_error" and ctx is not None:
            raised = ctx.get("error")
            if isinstance(raised, RuleError):
                out.append(FieldError(field, raised.rule, raised.message))
                continue
            # custom validators raise ValueError("rule_id: message")
            text = str(raised or "")
            if ":" in text:
                rule, _, message = text.partition(":")
                out.append(FieldError(field, rule.strip(), message.strip()))
                continue
        out.append(FieldError(field, rule, validation_text(rule, str(err.get("msg", "")), ctx)))
    return out


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_response(exc, language_of_scope(request.scope))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    language = language_of_scope(request.scope)
    errors = validation_field_errors(exc.errors())
    if any(e.rule == "json_invalid" for e in errors):
        return problem_response(
            BadRequest(t("请求体不是有效的 JSON", "request body is not valid JSON"), *errors),
            language,
        )
    return problem_response(
        InvalidInput(t("请求不符合接口定义", "request does not match the schema"), *errors),
        language,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    language = language_of_scope(request.scope)
    slug, title = _STATUS_SLUGS.get(exc.status_code, ("http-error", t("HTTP 错误", "HTTP error")))
    # the framework's own detail is the status phrase ("Not Found"): the title says it in both
    standard = not isinstance(exc.detail, str) or exc.detail == HTTPStatus(exc.status_code).phrase
    detail: Message = title if standard else exc.detail
    body = problem_body(exc.status_code, slug, title, detail, language=language)
    headers = {**language_headers(language), **(exc.headers or {})}
    if exc.status_code == 405:  # Starlette names the methods of one route; the path has more
        headers["Allow"] = ", ".join(allowed_methods(request.app.router.routes, request.scope))
    return JSONResponse(
        body,
        status_code=exc.status_code,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: Iterable[Any], scope: Mapping[str, Any]) -> list[str]:
    """Every method some route serves at the request's path (RFC 9110 §15.5.6: a 405's Allow
    lists the target resource's methods, not those of the first route that matched the path):
    the router's own matching, asked once per method."""
    return [
        method
        for method in METHODS
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)
    ]


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if is_database_unavailable(exc):
        # the transaction did not commit; the client may retry (a restart or failover)
        log.warning("request.database_unavailable", extra={"error": type(exc).__name__})
        return problem_response(
            ServiceUnavailable(
                t(
                    "服务的数据库暂不可用，请稍后重试",
                    "the service's database is unavailable; retry shortly",
                ),
                headers={"Retry-After": "1"},
            ),
            language_of_scope(request.scope),
        )
    # answered by Starlette's outermost layer: the request id comes from the scope
    request_id = str(request.scope.get("state", {}).get("request_id") or current_request_id())
    log.error("request.failed", exc_info=exc, extra={"request_id": request_id})
    language = language_of_scope(request.scope)
    body = problem_body(
        500,
        "internal",
        t("内部错误", "Internal error"),
        t(
            "意外错误；报告时请提供 instance",
            "unexpected error; quote the instance when reporting it",
        ),
        request_id=request_id,
        language=language,
    )
    return JSONResponse(
        body,
        status_code=500,
        media_type=PROBLEM_JSON,
        headers={"X-Request-ID": request_id, **language_headers(language)},
    )


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    """A constraint the database enforced (at a flush in the endpoint, or at the commit
    `session_for_request` makes before the response) or a row a concurrent request changed: a
    lost race is a 409, a broken check a 422 (`junheng_kit.integrity`); anything else stays the
    500 it is."""
    # imported here: junheng_kit.integrity builds on this module
    from junheng_kit.integrity import problem_for_concurrent_update, problem_for_integrity_error

    problem = problem_for_integrity_error(exc) or problem_for_concurrent_update(exc)
    if problem is None:
        return await _unexpected(request, exc)
    return problem_response(problem, language_of_scope(request.scope))


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _integrity_error)
    app.add_exception_handler(DBAPIError, _integrity_error)  # deadlocks: 409, the rest 500
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entry for each error an endpoint may answer with."""
    out: dict[int | str, dict[str, Any]] = {}
    kinds: tuple[type[DomainError], ...] = (InvalidInput, Unauthorized, Forbidden, *errors)
    for error in kinds:
        out[error.status] = {
            "model": Problem,
            "description": error.title.en,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out


PROBLEM_REF = "#/components/schemas/Problem"
_FRAMEWORK_ERROR_REFS = frozenset({PROBLEM_REF, "#/components/schemas/HTTPValidationError"})
_OPERATIONS_TAG = "operations"  # health, readiness, metrics: no token, no problem bodies
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def problem_response_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Content-Language": {"$ref": CONTENT_LANGUAGE_REF}},
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }


def _operations(document: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method in _HTTP_METHODS and isinstance(operation, dict):
                yield operation


def problems_as_sent(document: dict[str, Any]) -> dict[str, Any]:
    """Error responses documented as the handlers send them: `application/problem+json` with the
    `Problem` schema only (FastAPI lists `application/json` beside it, and its default 422 is an
    `HTTPValidationError` body that this kit never sends)."""
    for operation in _operations(document):
        for code, response in operation.get("responses", {}).items():
            if not str(code).isdigit() or int(code) < 400 or not isinstance(response, dict):
                continue
            refs = {
                media.get("schema", {}).get("$ref")
                for media in response.get("content", {}).values()
                if isinstance(media, dict)
            }
            if refs and refs <= _FRAMEWORK_ERROR_REFS:
                description = response.get("description", "")
                if description == "Validation Error":
                    description = InvalidInput.title.en
                operation["responses"][code] = problem_response_doc(description)
    referenced = json.dumps(document.get("paths", {}))
    schemas = document.get("components", {}).get("schemas", {})
    with_language_components(document)
    if "#/components/schemas/HTTPValidationError" not in referenced:
        schemas.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in json.dumps(schemas):
            schemas.pop("ValidationError", None)
    return document


def document_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Add to every API operation the problems any request to it may meet, whatever the route
    declares: 401 (token), 403 (scope or jurisdiction), 422 (schema), 400 for a body that is not
    parseable JSON or form data, 415 for a body in a media type the operation does not take,
    404 for path parameters that name nothing the caller may see; then `problems_as_sent`. The
    health routes (tag `operations`) are left as they are."""
    for operation in _operations(document):
        if _OPERATIONS_TAG in operation.get("tags", []):
            continue
        responses = operation.setdefault("responses", {})
        has_path_parameter = any(p.get("in") == "path" for p in operation.get("parameters", []))
        generic: list[tuple[type[DomainError], bool]] = [
            (Unauthorized, True),
            (Forbidden, True),
            (InvalidInput, True),
            (BadRequest, "requestBody" in operation),
            (UnsupportedMediaType, "requestBody" in operation),
            (NotFound, has_path_parameter),
        ]
        for error, applies in generic:
            if applies and str(error.status) not in responses:
                responses[str(error.status)] = problem_response_doc(error.title.en)
    return problems_as_sent(document_accept_language(document))


def document_accept_language(document: dict[str, Any]) -> dict[str, Any]:
    """The `Accept-Language` request header on every API operation (the health routes, tag
    `operations`, answer no text), declared once in the components."""
    for operation in _operations(document):
        if _OPERATIONS_TAG in operation.get("tags", []):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Accept-Language" for p in parameters):
            parameters.append(dict(ACCEPT_LANGUAGE_PARAMETER))
    return with_language_components(document)
