"""Each service's OpenAPI is a reviewed contract: a change shows up as a diff of these files.

`make snapshots` rewrites them after the change is reviewed.
"""

import json
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from assistance.app import create_app as assistance_app
from assistance.settings import AssistanceSettings
from enrollment.app import create_app as enrollment_app
from enrollment.settings import EnrollmentSettings
from evaluation.app import create_app as evaluation_app
from evaluation.settings import EvaluationSettings
from staffing.app import create_app as staffing_app
from staffing.settings import StaffingSettings

SNAPSHOTS = Path(__file__).parent / "openapi"
SECRET = SecretStr("test-only-secret")
KEYS = {"secret_key": SECRET, "pseudonym_key": SecretStr("test-only-pseudonym-key")}
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
