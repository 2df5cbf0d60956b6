"""Merge the services' OpenAPI documents into the gateway's (pure: dicts in, dict out).

- paths get the service prefix (`/v1/schools` → `/enrollment/v1/schools`); the services'
  operational paths (health, readiness, metrics) are dropped;
- component names get the service namespace (`SchoolRead` → `enrollment.SchoolRead`, valid
  per OpenAPI's `^[a-zA-Z0-9.\\-_]+$`), and so do their titles (generators name classes by
  title: two services' `SeatPlanRead` must not collide); every `$ref` is rewritten; the shared
  problem schemas stay single;
- operationIds are the service's short camelCase ids with the service in front
  (`enrollment.submitApplication`);
- every service operation requires the OAuth2 client-credentials scheme and lists the problems
  the gateway itself may answer before the service sees the request (rate limit, body limit,
  no responder, upstream timeout).
"""

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from junheng_kit.i18n import LANGUAGE_COMPONENTS
from junheng_kit.problems import (
    DomainError,
    GatewayTimeout,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    document_accept_language,
    problem_response_doc,
    problems_as_sent,
)

SECURITY_SCHEME = "OAuth2"
# identical in every service (kit / FastAPI): kept once, under their own names
SHARED_SCHEMAS = frozenset(
    {"Problem", "ProblemFieldError", "HTTPValidationError", "ValidationError"}
)
DROPPED_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
READ_METHODS = frozenset({"get", "head", "options"})
REF_PREFIX = "#/components/"
# answered by the gateway for any service operation: (error, only when the operation has a body)
GATEWAY_PROBLEMS: tuple[tuple[type[DomainError], bool], ...] = (
    (PayloadTooLarge, True),
    (TooManyRequests, False),
    (ServiceUnavailable, False),
    (GatewayTimeout, False),
)


def security_scheme(scopes: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "oauth2",
        "description": "OAuth2 client credentials; see POST /oauth/token",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "/oauth/token",
                "scopes": {s: f"{s.split(':')[1]} access to {s.split(':')[0]}" for s in scopes},
            }
        },
    }


def _rename_map(service: str, components: Mapping[str, Any]) -> dict[str, str]:
    renames: dict[str, str] = {}
    for section, entries in components.items():
        if section == "securitySchemes" or not isinstance(entries, Mapping):
            continue
        for name in entries:
            keep = (
                section == "schemas" and name in SHARED_SCHEMAS
            ) or name in LANGUAGE_COMPONENTS.get(section, {})
            target = name if keep else f"{service}.{name}"
            renames[f"{REF_PREFIX}{section}/{name}"] = f"{REF_PREFIX}{section}/{target}"
    return renames


def _rewrite(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = renames.get(value, value)
            elif key == "mapping" and isinstance(value, dict):  # discriminator mapping
                out[key] = {
                    k: renames.get(v, v) if isinstance(v, str) else v for k, v in value.items()
                }
            else:
                out[key] = _rewrite(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite(item, renames) for item in node]
    return node


def _operation_scopes(service: str, method: str, operation: Mapping[str, Any]) -> list[str]:
    """Scopes an operation declares; otherwise the convention (reads need `:read`)."""
    declared = sorted(
        {
            scope
            for requirement in operation.get("security", [])
            for scopes in requirement.values()
            for scope in scopes
        }
    )
    if declared:
        return declared
    return [f"{service}:{'read' if method in READ_METHODS else 'write'}"]


RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "description": "the client's quota (draft-ietf-httpapi-ratelimit-headers), e.g. "
        '`"api";q=100;w=1`',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'what is left of it and when more comes, e.g. `"api";r=99;t=1`',
        "schema": {"type": "string"},
    },
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _add_gateway_problems(operation: dict[str, Any]) -> None:
    """The problems the gateway answers itself, and the headers it adds: the RateLimit fields
    on every answer of a counted request, Retry-After on 429 and 503."""
    responses = operation.setdefault("responses", {})
    for error, needs_body in GATEWAY_PROBLEMS:
        if needs_body and "requestBody" not in operation:
            continue
        responses.setdefault(str(error.status), problem_response_doc(error.title.en))
    for status, answer in responses.items():
        if "$ref" in answer:
            continue  # a shared response: siblings of $ref are ignored
        headers = answer.setdefault("headers", {})
        headers.update(RATE_LIMIT_HEADERS)
        if status in ("429", "503"):
            headers.update(RETRY_AFTER)


def merge(
    gateway: Mapping[str, Any],
    services: Mapping[str, Mapping[str, Any] | None],
    scopes: Sequence[str],
) -> dict[str, Any]:
    """The gateway's own document plus each service's; a `None` service is listed as missing."""
    merged = document_accept_language(problems_as_sent(copy.deepcopy(dict(gateway))))
    paths: dict[str, Any] = merged.setdefault("paths", {})
    components: dict[str, Any] = merged.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = security_scheme(scopes)
    tags: list[dict[str, Any]] = list(merged.get("tags", []))
    missing: list[str] = []
    for service, document in services.items():
        if document is None:
            missing.append(service)
            continue
        service_components = document.get("components", {})
        renames = _rename_map(service, service_components)
        for section, entries in _rewrite(service_components, renames).items():
            if section == "securitySchemes" or not isinstance(entries, dict):
                continue
            target = components.setdefault(section, {})
            for name, value in entries.items():
                new_name = renames[f"{REF_PREFIX}{section}/{name}"].rsplit("/", 1)[1]
                if section == "schemas" and new_name != name and isinstance(value, dict):
                    value = {**value, "title": new_name}  # generators name classes by title
                target.setdefault(new_name, value)  # shared schemas: the first copy wins
        for path, item in _rewrite(document.get("paths", {}), renames).items():
            if path in DROPPED_PATHS:
                continue
            for method, operation in item.items():
                if method not in METHODS or not isinstance(operation, dict):
                    continue
                if "operationId" in operation:
                    operation["operationId"] = f"{service}.{operation['operationId']}"
                operation["tags"] = [f"{service}.{t}" for t in operation.get("tags", [])] or [
                    service
                ]
                operation["security"] = [
                    {SECURITY_SCHEME: _operation_scopes(service, method, operation)}
                ]
                _add_gateway_problems(operation)
            paths[f"/{service}{path}"] = item
        tags += [{**tag, "name": f"{service}.{tag['name']}"} for tag in document.get("tags", [])]
    if tags:
        merged["tags"] = tags
    if missing:
        note = (
            f"\n\nNot listed (did not answer when this document was built): {', '.join(missing)}."
        )
        info = merged.setdefault("info", {})
        info["description"] = info.get("description", "") + note
    return merged
