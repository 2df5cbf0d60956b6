"""Each service's OpenAPI is a reviewed contract: a change shows up as a diff of these files.

`make snapshots` rewrites them after the change is reviewed.
"""

import json
import os
import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from assistance.app import create_app as assistance_app
from assistance.settings import AssistanceSettings
from enrollment.app import create_app as enrollment_app
from enrollment.settings import EnrollmentSettings
from evaluation.app import create_app as evaluation_app
from evaluation.settings import EvaluationSettings
from junheng_kit.fieldcrypt import dev_field_keys
from staffing.app import create_app as staffing_app
from staffing.settings import StaffingSettings

SNAPSHOTS = Path(__file__).parent / "openapi"
SECRET = SecretStr("test-only-secret")
FIELD_KEYS = dict(
    zip(("field_keys", "blind_index_key"), map(SecretStr, dev_field_keys()), strict=True)
)
KEYS = {
    "secret_key": SECRET,
    "pseudonym_key": SecretStr("test-only-pseudonym-key"),
    **FIELD_KEYS,  # a service that encrypts fields needs them outside dev
}
APPS = {
    "enrollment": lambda: enrollment_app(EnrollmentSettings(environment="test", **KEYS)),
    "staffing": lambda: staffing_app(StaffingSettings(environment="test", **KEYS)),
    "assistance": lambda: assistance_app(AssistanceSettings(environment="test", **KEYS)),
    "evaluation": lambda: evaluation_app(EvaluationSettings(environment="test", **KEYS)),
}


@pytest.mark.parametrize("service", sorted(APPS))
def test_openapi_matches_the_reviewed_snapshot(service: str) -> None:
    document = (
        json.dumps(APPS[service]().openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    )
    path = SNAPSHOTS / f"{service}.json"
    if os.environ.get("JUNHENG_UPDATE_SNAPSHOTS"):
        path.write_text(document)
    assert path.exists(), f"no snapshot for {service}: run `make snapshots` and commit it"
    assert json.loads(document) == json.loads(path.read_text())


def test_every_service_documents_problem_details_and_its_school_routes() -> None:
    for service, make in APPS.items():
        document = make().openapi()
        assert "Problem" in document["components"]["schemas"], service
        assert "/v1/schools" in document["paths"], service
        assert "/v1/schools/{school_code}" in document["paths"], service


def test_operation_ids_are_short_camel_case_and_unique_per_service() -> None:
    """Integrators' generated clients name their methods by operationId: each is the endpoint
    function's name in camelCase (the gateway puts the service in front), unique, and short."""
    for service, make in APPS.items():
        document = make().openapi()
        ids = [
            operation["operationId"]
            for item in document["paths"].values()
            for operation in item.values()
            if isinstance(operation, dict)
        ]
        assert len(ids) == len(set(ids)), service
        assert all(re.fullmatch(r"[a-z][A-Za-z0-9]{2,39}", i) for i in ids), service


def test_every_tag_is_one_word_and_described_in_chinese_and_english() -> None:
    for service, make in APPS.items():
        document = make().openapi()
        described = {tag["name"]: tag["description"] for tag in document.get("tags", [])}
        used = {
            tag
            for item in document["paths"].values()
            for operation in item.values()
            if isinstance(operation, dict)
            for tag in operation.get("tags", [])
        }
        assert used <= set(described), (service, used - set(described))
        for name, text in described.items():
            assert re.fullmatch(r"[a-z][a-z-]*", name), (service, name)
            assert re.search(r"[\u4e00-\u9fff]", text), (service, name)
            assert re.search(r"[A-Za-z]{3,} [a-z]+", text), (service, name)


def test_every_answer_that_is_not_json_has_a_string_schema() -> None:
    """PDF and XLSX answers are `format: binary`, CSV and HTML strings: generators need both."""
    for service, make in APPS.items():
        document = make().openapi()
        for path, item in document["paths"].items():
            for operation in item.values():
                if not isinstance(operation, dict):
                    continue
                for answer in operation["responses"].values():
                    for media_type, content in answer.get("content", {}).items():
                        if media_type.endswith("json"):
                            continue
                        expected = (
                            {"type": "string"}
                            if media_type.startswith("text/")
                            else {"type": "string", "format": "binary"}
                        )
                        assert content["schema"] == expected, (service, path, media_type)


def test_every_post_documents_the_idempotency_key() -> None:
    for service, make in APPS.items():
        document = make().openapi()
        for path, item in document["paths"].items():
            if "post" in item:
                names = [p["name"] for p in item["post"].get("parameters", [])]
                assert names.count("Idempotency-Key") == 1, (service, path)
