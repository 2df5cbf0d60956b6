"""What an integrator reads on each operation beyond FastAPI's defaults (issue 18 item 2):

- a Chinese summary: `<package>/openapi-summaries.json` maps operationIds to Chinese text; an
  English summary without Chinese becomes `English (中文)`, the form the routes that carry both
  already use;
- conditional headers, derived from the kit's own mechanism rather than written per endpoint:
  an operation whose endpoint (or a helper of its module that it calls) uses
  `junheng_kit.etags.etag` answers `ETag` on its 2xx answers, and a GET of those honours
  `If-None-Match` (304, junheng_kit.conditional); an `If-Match` header parameter (declared by
  the endpoint's signature) is named as HTTP spells it and described, with its 412;
- a request and an answer example on every JSON body: a pair recorded from the package's API
  tests where there is one (`<package>/openapi-examples.json`, junheng_devtools.examples), else
  the schema's own examples, completed into an instance of the schema (pure: `example_of`),
  with the demo county's invented values for the fields integrators recognise (county 150602,
  school 2115060001);
  answers show citizen IDs masked, as callers without a PII scope get them. A recorded answer
  that carried `Location` documents that header on its status.
  tests/clients validates every example against its schema.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from junheng_kit import etags
from junheng_kit.logs import mask_citizen_id

METHODS = ("get", "put", "post", "delete", "patch")
CJK = re.compile(r"[\u4e00-\u9fff]")
CITIZEN_ID = re.compile(r"[A-Z]?\d{17}[\dX]")  # a 公民身份号码, or a 学籍号 built on one
JSON = "application/json"
REF = "#/components/schemas/"
MAX_DEPTH = 40  # nesting levels; a schema met again inside itself stops earlier


@cache
def load_summaries(package: str) -> dict[str, str]:
    """The Chinese summaries a package ships (`openapi-summaries.json`), by operationId."""
    try:
        text = (importlib.resources.files(package) / "openapi-summaries.json").read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    loaded: dict[str, str] = json.loads(text)
    return loaded


@cache
def load_recorded(package: str) -> dict[str, dict[str, Any]]:
    """The request/answer pairs recorded from a package's API tests (`openapi-examples.json`,
    junheng_devtools.examples), by operationId."""
    try:
        text = (importlib.resources.files(package) / "openapi-examples.json").read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    loaded: dict[str, dict[str, Any]] = json.loads(text)
    return loaded


def _operations(document: Mapping[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method in METHODS and isinstance(operation, dict):
                yield method, operation


def with_chinese_summaries(document: dict[str, Any], summaries: Mapping[str, str]) -> None:
    for _, operation in _operations(document):
        summary = operation.get("summary", "")
        chinese = summaries.get(operation.get("operationId", ""))
        if chinese and not CJK.search(summary):
            operation["summary"] = f"{summary} ({chinese})" if summary else chinese


# ------------------------------------------------------------------------ conditional headers
ETAG_HEADER = {
    "description": 'the version of the record answered (`"<version>"`): send it as `If-Match` '
    "to change the record only if nobody changed it since, or as `If-None-Match` to re-read it "
    "only if it changed",
    "schema": {"type": "string"},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "an ETag of an earlier answer: 304 without a body while it is still current",
    "schema": {"type": "string"},
}
IF_MATCH_DESCRIPTION = (
    'the record\'s ETag from the last read (`"<version>"`): 412 `version_current` when it has '
    "changed since; without the header the change applies to any version"
)
NOT_MODIFIED = {"description": "Not Modified: the ETag named in If-None-Match is still current"}


def _calls_etag(function: Callable[..., Any], seen: set[int] | None = None) -> bool:
    """Whether a function, or a function of its own module it calls (transitively), names
    `junheng_kit.etags.etag`."""
    seen = set() if seen is None else seen
    code = getattr(function, "__code__", None)
    if code is None or id(code) in seen:
        return False
    seen.add(id(code))
    namespace = getattr(function, "__globals__", {})
    codes = [code, *(c for c in code.co_consts if isinstance(c, types.CodeType))]
    for each in codes:
        for name in each.co_names:
            target = namespace.get(name)
            if target is etags.etag:
                return True
            if (
                isinstance(target, types.FunctionType)
                and target.__module__ == function.__module__
                and _calls_etag(target, seen)
            ):
                return True
    return False


def operation_id(route: APIRoute) -> str:
    """A short, stable operationId: the endpoint function's name in camelCase
    (`submit_application` → `submitApplication`); the gateway prefixes the service
    (`enrollment.submitApplication`). Function names are unique per service (snapshot-tested),
    so renaming an endpoint function is a contract change."""
    head, *rest = route.name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also those of included routers (FastAPI keeps them as included-router
    entries that hold the original router)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def answers_etag(app: FastAPI) -> set[str]:
    """The operationIds whose endpoint sets an ETag through `junheng_kit.etags.etag`."""
    return {
        route.operation_id or operation_id(route)
        for route in api_routes(app.routes)
        if _calls_etag(route.endpoint)
    }


def with_conditional_headers(document: dict[str, Any], etagged: set[str]) -> None:
    for method, operation in _operations(document):
        parameters = operation.get("parameters", [])
        for parameter in parameters:
            if parameter.get("in") == "header" and parameter["name"].lower() == "if-match":
                parameter["name"] = "If-Match"
                parameter.setdefault("description", IF_MATCH_DESCRIPTION)
        if operation.get("operationId") not in etagged:
            continue
        for status, answer in operation.get("responses", {}).items():
            if status.startswith("2") and "$ref" not in answer:
                answer.setdefault("headers", {})["ETag"] = ETAG_HEADER
        if method == "get":
            if not any(p["name"].lower() == "if-none-match" for p in parameters):
                operation["parameters"] = [*parameters, IF_NONE_MATCH]
            operation["responses"].setdefault("304", NOT_MODIFIED)


# ------------------------------------------------------------------------------------ examples
# the demo county's invented values (demo/150602-dongsheng-schools.json), by field name
HINTS: dict[str, Any] = {
    "county_code": "150602",
    "to_county_code": "150602",
    "region_code": "150602",
    "scope_code": "150602",
    "school_code": "2115060001",
    "to_school_code": "2115060002",
    "from_school": "2115060001",
    "to_school": "2115060002",
    "name": "东胜区第一小学",
    "school_name": "东胜区第一小学",
    "county_name": "鄂尔多斯市东胜区",
    "student_name": "张*",
    "teacher_name": "李*",
    "citizen_id": "150602********0018",
    "student_citizen_id": "150602********0018",
    "list_citizen_id": "150602********0018",
    "phone": "13800000000",
    "address": "东胜区某街道某小区",
    "year": 2025,
    "zone_code": "Z01",
    "programme_code": "compulsory_living_allowance",
    "url": "https://apps.example.org/junheng/events",
    "base_url": "https://agency.example.org",
    "reason": "材料齐全，符合条件",
    "note": "示例说明",
}
FORMATS = {
    "date": "2025-09-01",
    "date-time": "2025-09-01T08:00:00+08:00",
    "uuid": "3f2c6a1e-8d4b-4c1a-9e7f-2b5d6c8a9e01",
    "uri": "https://apps.example.org/junheng/events",
    "email": "bureau@example.org",
}
CANDIDATES = ("150602", "2115060001", "13800000000", "demo", "demo_item", "primary", "15")
MAP_KEY = HINTS["school_code"]  # a map's keys: schools, unless its propertyNames say otherwise
# by the end of a field's name, when HINTS has no entry for it
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    ("_by", "东胜区教育局"),
    ("actor", "东胜区教育局"),
    ("reviewer", "东胜区教育局"),
    ("_at", FORMATS["date-time"]),
    ("time", FORMATS["date-time"]),
    ("jurisdiction", "150602"),
    ("subject", "2115060001"),
    ("source", "鄂尔多斯市东胜区教育局"),
    ("citation", "教基厅函〔2021〕43号"),
    ("basis", "教基厅函〔2021〕43号"),
    ("reason", "示例说明"),
    ("note", "示例说明"),
    ("detail", "示例说明"),
    ("description", "示例说明"),
    ("evidence", "示例说明"),
    ("message", "示例说明"),
    ("explanation", "示例说明"),
    ("_id", "demo-0001"),
    ("id", "demo-0001"),
)


def _schema(node: Mapping[str, Any], schemas: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node and node["$ref"].startswith(REF):
        node = schemas.get(node["$ref"][len(REF) :], {})
    return node


def _fits(value: str, node: Mapping[str, Any]) -> bool:
    if len(value) < node.get("minLength", 0) or len(value) > node.get("maxLength", 10**9):
        return False
    pattern = node.get("pattern")
    return pattern is None or re.search(pattern, value) is not None


def _string(node: Mapping[str, Any], field: str) -> str | None:
    if node.get("format") in FORMATS:
        return FORMATS[node["format"]]
    if node.get("format") == "binary":
        return None
    hint = HINTS.get(field)
    if not isinstance(hint, str):
        hint = next((value for end, value in SUFFIXES if field.endswith(end)), None)
    if isinstance(hint, str) and _fits(hint, node):
        return hint
    pattern = node.get("pattern", "")
    alternatives = re.fullmatch(r"\^\(([\w|]+)\)\$", pattern)
    if alternatives:
        return alternatives.group(1).split("|")[0]
    for candidate in (field or "demo", *CANDIDATES):
        if _fits(candidate, node):
            return candidate
    minimum = max(node.get("minLength", 1), 1)
    return "x" * minimum if _fits("x" * minimum, node) else None


def _number(node: Mapping[str, Any], field: str) -> int | float:
    hint = HINTS.get(field)
    value: int | float = hint if isinstance(hint, int) else 1
    if "minimum" in node:
        value = max(value, node["minimum"])
    if "exclusiveMinimum" in node and value <= node["exclusiveMinimum"]:
        value = node["exclusiveMinimum"] + 1
    if "maximum" in node:
        value = min(value, node["maximum"])
    return int(value) if node.get("type") == "integer" else float(value)


def _own_example(node: Mapping[str, Any]) -> Any:
    for key in ("examples", "example", "default", "const"):
        if key in node and node[key] is not None:
            return node[key][0] if key == "examples" and isinstance(node[key], list) else node[key]
    return None


def example_of(
    node: Mapping[str, Any],
    schemas: Mapping[str, Any],
    field: str = "",
    depth: int = 0,
    within: tuple[str, ...] = (),
) -> Any:
    """An instance of `node` (a JSON Schema with `$ref`s into `schemas`): its own example when
    it has one, else built from its type, constraints and the field's name."""
    if depth > MAX_DEPTH:
        return None
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in within:
            return None  # a recursive schema: one level of it is example enough
        within = (*within, ref)
    node = _schema(node, schemas)
    own = _own_example(node)
    if own is not None and not isinstance(own, dict):
        return own
    if "enum" in node:
        return node["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [o for o in node[key] if _schema(o, schemas).get("type") != "null"]
            chosen = options[0] if options else node[key][0]
            return example_of(chosen, schemas, field, depth + 1, within)
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            value = example_of(part, schemas, field, depth + 1, within)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        found: dict[str, Any] = {}
        for name, sub in node.get("properties", {}).items():
            value = example_of(sub, schemas, name, depth + 1, within)
            if value is not None or name in node.get("required", []):
                found[name] = value
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra and not found:
            names = node.get("propertyNames")
            key = example_of(names, schemas, "key") if names else MAP_KEY
            found[str(key)] = example_of(extra, schemas, field, depth + 1, within)
        if isinstance(own, dict):  # a model's example (often of its input) over the whole
            found.update(own)
        return found
    if kind == "array":
        item = example_of(node.get("items", {}), schemas, field, depth + 1, within)
        return [item] * max(node.get("minItems", 1), 1) if item is not None else []
    if kind == "string":
        return _string(node, field)
    if kind in ("integer", "number"):
        return _number(node, field)
    if kind == "boolean":
        return True
    return None


def masked(value: Any) -> Any:
    """An answer as a caller without a PII scope sees it: citizen IDs (and 学籍号) masked the
    way the services mask them (junheng_kit.logs). Phone numbers are the placeholder
    13800000000 (a schema may ask for 11 digits)."""
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str) and CITIZEN_ID.fullmatch(value):
        return value[: len(value) - 18] + mask_citizen_id(value[-18:])
    return value


def _add_example(content: dict[str, Any], schemas: Mapping[str, Any], answer: bool) -> None:
    media = content.get(JSON)
    if not isinstance(media, dict) or "schema" not in media:
        return
    if "example" in media or "examples" in media:
        return
    example = example_of(media["schema"], schemas)
    media["example"] = masked(example) if answer else example


LOCATION_HEADER = {
    "description": "where the created record is read: its path as the caller sees it (through "
    "the gateway, with the service in front)",
    "schema": {"type": "string"},
}
SEEN_HEADERS = {"Location": LOCATION_HEADER}


def _with_recorded(operation: dict[str, Any], pair: Mapping[str, Any]) -> None:
    """A pair the API tests recorded: the request on the JSON body, the answer on its status,
    and the answer headers it was seen with (`Location`)."""
    body = operation.get("requestBody", {}).get("content", {}).get(JSON)
    if isinstance(body, dict) and pair.get("request") is not None:
        body.setdefault("example", pair["request"])
    status = operation.get("responses", {}).get(pair["status"], {})
    answer = status.get("content", {}).get(JSON)
    if isinstance(answer, dict):
        answer.setdefault("example", pair["answer"])
        for name in pair.get("headers", []):
            if name in SEEN_HEADERS:
                status.setdefault("headers", {}).setdefault(name, SEEN_HEADERS[name])


def with_examples(
    document: dict[str, Any], recorded: Mapping[str, Mapping[str, Any]] | None = None
) -> None:
    """Recorded pairs first (real exchanges of the API tests), then examples built from the
    schemas for every JSON body still without one."""
    schemas = document.get("components", {}).get("schemas", {})
    for _, operation in _operations(document):
        pair = (recorded or {}).get(operation.get("operationId", ""))
        if pair is not None:
            _with_recorded(operation, pair)
        body = operation.get("requestBody")
        if isinstance(body, dict):
            _add_example(body.get("content", {}), schemas, answer=False)
        for status, answer in operation.get("responses", {}).items():
            if status.startswith("2") and isinstance(answer, dict):
                _add_example(answer.get("content", {}), schemas, answer=True)


def with_operation_docs(document: dict[str, Any], app: FastAPI, package: str) -> dict[str, Any]:
    """Chinese summaries, conditional headers and examples on every operation of `app`'s
    document (idempotent: what is there already stays)."""
    with_chinese_summaries(document, load_summaries(package))
    with_conditional_headers(document, answers_etag(app))
    with_examples(document, load_recorded(package))
    return document
