"""Issue 18 item 2: every operation of the merged document integrators get carries a Chinese
summary, a request and an answer example that validate against the operation's own schemas and
hold no personal data, and the conditional headers of the kit's mechanism (junheng_kit.etags,
junheng_kit.conditional) exactly where they apply (junheng_kit.openapi_docs)."""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from junheng_devtools.clients import in_process_document

from junheng_kit.openapi_docs import example_of

METHODS = ("get", "put", "post", "delete", "patch")
CJK = re.compile(r"[\u4e00-\u9fff]")
# an unmasked 18-digit 公民身份号码 or an 11-digit mobile number anywhere in an example
# (not digits inside a decimal fraction or a hex digest)
CITIZEN_ID = re.compile(r"(?<![\w.])[A-Z]?\d{17}[\dX](?![\w.])")  # also a 学籍号
MOBILE = re.compile(r"(?<![\w.])1[3-9]\d{9}(?![\w.])")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return in_process_document()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def json_bodies(operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        yield "request", body
    for status, answer in operation["responses"].items():
        media = answer.get("content", {}).get("application/json")
        if status.startswith("2") and media:
            yield status, media


def test_every_operation_has_a_chinese_summary(document: dict[str, Any]) -> None:
    missing = [
        o["operationId"] for _, _, o in operations(document) if not CJK.search(o.get("summary", ""))
    ]
    assert not missing, "add them to <package>/openapi-summaries.json"


def test_every_json_request_and_answer_has_an_example_that_validates(
    document: dict[str, Any],
) -> None:
    components = document["components"]
    checked, invalid = 0, []
    for _, _, operation in operations(document):
        for where, media in json_bodies(operation):
            assert "example" in media, (operation["operationId"], where)
            validator = Draft202012Validator(
                {**media["schema"], "components": components},
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            invalid += [
                (operation["operationId"], where, e.json_path, e.message[:120])
                for e in validator.iter_errors(media["example"])
            ]
            checked += 1
    assert not invalid
    assert checked > 200  # every service's bodies, not a few


def test_every_operation_with_a_json_body_or_answer_shows_both(document: dict[str, Any]) -> None:
    """A request example on every operation that takes a JSON body, an answer example on every
    one that answers JSON (the rest take or answer sheets, reports or nothing)."""
    for _, _, operation in operations(document):
        wheres = {where for where, _ in json_bodies(operation)}
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert "request" in wheres, operation["operationId"]
        answers_json = any(
            "application/json" in a.get("content", {})
            for s, a in operation["responses"].items()
            if s.startswith("2")
        )
        assert answers_json == bool(wheres - {"request"}), operation["operationId"]


def test_answer_examples_hold_no_unmasked_personal_data(document: dict[str, Any]) -> None:
    """The demo's invented values only; answers show citizen IDs masked as a caller without a
    PII scope gets them, phones as the placeholder 13800000000 (a request example may carry an
    invented ID: a submission needs the child's)."""
    text = json.dumps(
        [
            m["example"]
            for _, _, o in operations(document)
            for where, m in json_bodies(o)
            if where != "request"
        ],
        ensure_ascii=False,
    )
    assert not CITIZEN_ID.findall(text)
    assert set(MOBILE.findall(text)) <= {"13800000000"}  # the placeholder number
    assert "150602********0018" in text  # the masked form the answers use


def test_etag_if_none_match_and_if_match_where_the_kit_mechanism_applies(
    document: dict[str, Any],
) -> None:
    """ETag on the answers of the endpoints that set it with junheng_kit.etags.etag (directly
    or through a helper: enrollment's submitApplication), If-None-Match and 304 on those GETs,
    If-Match named as HTTP spells it with its 412 — and nowhere else."""
    etagged, conditional_gets, if_match = set(), set(), set()
    for _, _, operation in operations(document):
        op = operation["operationId"]
        answers = operation["responses"]
        if any("ETag" in a.get("headers", {}) for s, a in answers.items() if s.startswith("2")):
            etagged.add(op)
        names = {p["name"] for p in operation.get("parameters", [])}
        if "If-None-Match" in names:
            assert "304" in answers, op
            conditional_gets.add(op)
        if "If-Match" in names:
            assert "412" in answers, op
            if_match.add(op)
        assert "if-match" not in names, op
    assert {
        "enrollment.getSchool",
        "enrollment.updateSchool",
        "enrollment.submitApplication",
        "enrollment.getApplication",
        "staffing.getTeacher",
        "staffing.getRotationPlan",
        "assistance.getAward",
        "assistance.getStudent",
    } <= etagged
    assert not {"enrollment.listSchools", "evaluation.getSchool", "enrollment.getPolicy"} & etagged
    etagged_gets = {
        o["operationId"]
        for _, method, o in operations(document)
        if method == "get" and o["operationId"] in etagged
    }
    assert conditional_gets == etagged_gets
    assert {"enrollment.updateSchool", "staffing.approveRotationPlan"} <= if_match


def test_location_on_the_creates_whose_recorded_answers_carried_it(
    document: dict[str, Any],
) -> None:
    """`Location` is documented where the API tests saw it (junheng_kit.testing.examples)."""
    located = {
        o["operationId"]
        for _, _, o in operations(document)
        for status, answer in o["responses"].items()
        if "Location" in answer.get("headers", {})
    }
    assert {
        "enrollment.registerSchool",
        "enrollment.submitApplication",
        "staffing.lendQuota",
        "assistance.createAward",
        "evaluation.createAssessment",
    } <= located
    assert not {o for o in located if o.split(".")[-1].startswith(("list", "get"))}


class TestExampleOf:
    """The pure builder: own examples first, then type, constraints and field names."""

    def test_a_models_example_is_completed_with_its_other_required_fields(self) -> None:
        schemas = {
            "Read": {
                "type": "object",
                "required": ["id", "county_code", "year"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "county_code": {"type": "string"},
                    "year": {"type": "integer", "minimum": 2000},
                },
                "examples": [{"year": 2024}],
            }
        }
        assert example_of({"$ref": "#/components/schemas/Read"}, schemas) == {
            "id": "3f2c6a1e-8d4b-4c1a-9e7f-2b5d6c8a9e01",
            "county_code": "150602",
            "year": 2024,
        }

    def test_map_keys_follow_property_names_and_values_their_bounds(self) -> None:
        node = {
            "type": "object",
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 0.5},
            "propertyNames": {"enum": ["students", "parents"]},
        }
        assert example_of(node, {}) == {"students": 0.5}

    def test_patterns_and_nullable_fields(self) -> None:
        node = {
            "type": "object",
            "properties": {
                "phone": {"anyOf": [{"type": "string", "pattern": r"^1\d{10}$"}, {"type": "null"}]},
                "level": {"type": "string", "pattern": "^(primary|junior)$"},
            },
        }
        assert example_of(node, {}) == {"phone": "13800000000", "level": "primary"}


# one operation of a service document, for the recorded examples' selection
RECORDED_DOCUMENT: dict[str, Any] = {
    "paths": {
        "/staffing/v1/teachers": {
            "post": {
                "operationId": "staffing.registerTeacher",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["citizen_id"],
                                "properties": {"citizen_id": {"type": "string"}},
                            }
                        }
                    }
                },
                "responses": {
                    "201": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/staffing.TeacherRead"}
                            }
                        }
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "staffing.TeacherRead": {
                "type": "object",
                "required": ["citizen_id", "phone", "subjects"],
                "properties": {
                    "citizen_id": {"type": "string"},
                    "phone": {"type": "string", "pattern": r"^1\d{10}$"},
                    "subjects": {"type": "array", "items": {"type": "string"}},
                },
            }
        }
    },
}


class TestRecordedExamples:
    """junheng_devtools.examples: the pairs the API tests recorded become the examples."""

    def test_the_smallest_pair_that_fits_trimmed_with_answers_masked(self) -> None:
        from junheng_devtools.examples import chosen

        teacher = {"citizen_id": "150602198001010012"}
        lines = [
            {  # the smallest, but its answer does not fit the schema: skipped
                "operation": "registerTeacher",
                "status": 201,
                "request": teacher,
                "answer": {"citizen_id": "x"},
            },
            {
                "operation": "registerTeacher",
                "status": 201,
                "request": teacher,
                "headers": ["Location"],
                "answer": {
                    **teacher,
                    "phone": "13912345678",
                    "subjects": ["语文", "数学", "科学", "音乐"],
                },
            },
            {"operation": "notInTheDocument", "status": 200, "request": None, "answer": {}},
        ]
        assert chosen("staffing", lines, RECORDED_DOCUMENT) == {
            "registerTeacher": {
                "status": "201",
                "request": teacher,  # a request keeps the (invented) ID a registration needs
                "answer": {
                    "citizen_id": "150602********0012",
                    "phone": "13800000000",
                    "subjects": ["语文", "数学"],
                },
                "headers": ["Location"],
            }
        }
