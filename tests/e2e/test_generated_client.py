"""Issue 18 item 2: an integrator generates the Python client from the running gateway's
`/openapi.json` (as docs/integrators.md says) and calls each service with it — a token from the
OAuth client-credentials flow, then a real flow of each service through the gateway:
enrollment registers a school and reads it back; staffing and evaluation list it from their
school directories (kept from enrollment's events); staffing lists its teachers; assistance
lists its programmes."""

import importlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from junheng_devtools.clients import PYTHON_PACKAGE, generate_python, served_document, validate
from junheng_devtools.system import System

from .walkthrough_support import bureau_token, running_system

pytestmark = pytest.mark.e2e
COUNTY = "150602"
SCHOOL = "2115067101"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    yield from running_system(tmp_path_factory, "generated-client")


@pytest.fixture(scope="module")
def package(system: System, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The client generated from the document the running gateway serves."""
    out = tmp_path_factory.mktemp("client")
    document = served_document(system.gateway_url)
    assert "Not listed" not in document["info"].get("description", "")  # every service in it
    validate(document)
    (out / "openapi.json").write_text(json.dumps(document, ensure_ascii=False))
    generate_python(out / "openapi.json", out)  # raises on any warning
    sys.path.insert(0, str(out))
    yield out
    sys.path.remove(str(out))
    for name in [m for m in sys.modules if m.split(".")[0] == PYTHON_PACKAGE]:
        del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PYTHON_PACKAGE}.{name}")


@pytest.fixture(scope="module")
def client(system: System, package: Path) -> Any:
    authenticated = module("client").AuthenticatedClient(
        base_url=system.gateway_url, token=bureau_token(system, COUNTY), timeout=60.0
    )
    with authenticated as client:
        yield client


def eventually(read: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        answer = read()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_each_service_through_the_generated_python_client(client: Any) -> None:
    models = module("models")
    register = module("api.enrollment_schools.enrollment_register_school")
    created = register.sync_detailed(
        client=client,
        body=models.EnrollmentSchoolCreate.from_dict(
            {
                "school_code": SCHOOL,
                "name": "东胜区示范小学",
                "levels": ["primary"],
                "county_code": COUNTY,
                "location": {"longitude": 109.99, "latitude": 39.82},
                "planned_capacity": 600,
            }
        ),
    )
    assert created.status_code == 201, created.content
    assert created.headers["location"] == f"/enrollment/v1/schools/{SCHOOL}"
    school = module("api.enrollment_schools.enrollment_get_school").sync(SCHOOL, client=client)
    assert isinstance(school, models.EnrollmentSchoolRead)
    assert (school.school_code, school.name) == (SCHOOL, "东胜区示范小学")
    listed = module("api.enrollment_schools.enrollment_list_schools").sync(
        client=client, county_code=COUNTY
    )
    assert [s.school_code for s in listed.items] == [SCHOOL]

    for service in ("staffing", "evaluation"):  # their directories, from enrollment's event
        read = module(f"api.{service}_schools.{service}_list_schools")
        page = eventually(lambda read=read: read.sync(client=client).items)
        assert [s.school_code for s in page] == [SCHOOL], service

    teachers = module("api.staffing_teachers.staffing_list_teachers").sync(client=client)
    assert teachers.items == []

    programmes = module("api.assistance_programmes.assistance_list_programmes").sync(client=client)
    assert isinstance(programmes, models.AssistanceProgrammeList), programmes
