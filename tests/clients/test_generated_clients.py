"""Issue 18 item 2: integrators generate clients from the gateway's merged `/openapi.json`.

The document is built in-process the way the gateway builds it (the gateway's own `merge` of
the services' documents: the same document `GET /openapi.json` answers when every service is
up). It must validate, and both generators must run without a warning and without leaving an
operation out: openapi-python-client (a dev dependency, with clients/openapi-python-client.yaml)
and openapi-typescript (pinned in clients/package-lock.json, installed by `npm ci`), whose
output must also compile with `tsc --strict`. tests/e2e/test_generated_client.py calls the
running system through the generated Python client.
"""

import importlib
import sys
from typing import Any

import pytest
from junheng_devtools.clients import (
    PYTHON_PACKAGE,
    Generated,
    generate,
    in_process_document,
    operations,
    python_operations,
    snake,
)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return in_process_document()


@pytest.fixture(scope="module")
def generated(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Generated:
    out = tmp_path_factory.mktemp("clients")
    return generate(document, out, npm_cache=tmp_path_factory.mktemp("npm-cache"))


def test_the_document_has_every_service_and_one_id_per_operation(document: dict[str, Any]) -> None:
    ids = operations(document)
    assert len(ids) == len(set(ids))
    assert {i.split(".")[0] for i in ids if "." in i} == {
        "enrollment",
        "staffing",
        "assistance",
        "evaluation",
    }
    assert "Not listed" not in document["info"].get("description", "")


def test_both_generators_run_without_a_warning(generated: Generated) -> None:
    """`generate` raises on any line beyond the generators' banners; here what they said."""
    assert [line.split(" ")[0] for line in generated.python_output.splitlines()] == ["Generating"]
    assert "openapi-typescript" in generated.typescript_output
    assert "warn" not in generated.typescript_output.lower()


def test_the_python_client_has_every_operation(
    document: dict[str, Any], generated: Generated
) -> None:
    expected = {snake(o) for o in operations(document)}
    assert python_operations(generated.python) == expected
    sys.path.insert(0, str(generated.python))
    try:
        client = importlib.import_module(f"{PYTHON_PACKAGE}.client")
        schools = importlib.import_module(
            f"{PYTHON_PACKAGE}.api.enrollment_schools.enrollment_list_schools"
        )
    finally:
        sys.path.remove(str(generated.python))
    assert hasattr(client, "AuthenticatedClient")
    assert callable(schools.sync_detailed)


def test_the_typescript_types_name_every_path(
    document: dict[str, Any], generated: Generated
) -> None:
    text = generated.typescript.read_text()
    missing = [path for path in document["paths"] if f'"{path}": {{' not in text]
    assert not missing
    assert "export interface operations" in text


def test_binary_answers_come_back_as_bytes_in_the_python_client(generated: Generated) -> None:
    """A PDF report and an XLSX export: declared `format: binary`, read raw (not skipped)."""
    api = generated.python / PYTHON_PACKAGE / "api"
    report = (api / "evaluation_reports" / "evaluation_report_pdf.py").read_text()
    assert "File(payload=BytesIO(response.content))" in report
