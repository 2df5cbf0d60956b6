"""Issue 20 item 2: every property of every schema integrators see carries its class
(`x-junheng-class`, junheng_kit.classification), and a field whose name says it holds a person's
data (citizen ID, a person's name, phone, address, birth date, guardian, disability, hardship,
household, income …) is classified personal or sensitive — in the merged OpenAPI and in the event
contracts."""

from collections.abc import Iterator
from typing import Any

import pytest
from junheng_devtools.clients import in_process_document

from junheng_contracts import assistance, enrollment, evaluation, staffing
from junheng_kit.classification import CLASSES, EXTENSION, is_personal_name

EVENTS = [e for module in (enrollment, staffing, assistance, evaluation) for e in module.EVENTS]
PROTECTED = {"personal", "sensitive"}
# fields the name patterns match that hold no one's data, and why
NOT_A_PERSON = {
    "enrollment.CohortRow.birth_year": "the key of a count of children (户籍 cohort), no one's",
    "enrollment.CohortRow.birth_month": "the key of a count of children (户籍 cohort), no one's",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return in_process_document()


def properties(schemas: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, schema in schemas.items():
        for field, sub in schema.get("properties", {}).items():
            yield name, field, sub


def test_every_property_of_the_merged_document_carries_a_class(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    unclassified = [f"{s}.{f}" for s, f, sub in properties(schemas) if EXTENSION not in sub]
    assert not unclassified
    wrong = [f"{s}.{f}" for s, f, sub in properties(schemas) if sub[EXTENSION] not in CLASSES]
    assert not wrong


def test_personal_names_are_personal_or_sensitive_in_the_merged_document(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    loose = sorted(
        f"{s}.{f}"
        for s, f, sub in properties(schemas)
        if is_personal_name(f, s.rsplit(".", 1)[-1])
        and sub.get(EXTENSION) not in PROTECTED
        and f"{s}.{f}" not in NOT_A_PERSON
    )
    assert loose == []


def test_event_schemas_carry_classes_and_personal_names_are_protected() -> None:
    for event in EVENTS:
        schema = event.model_json_schema()
        schemas = {"": schema, **schema.get("$defs", {})}
        for s, f, sub in properties(schemas):
            assert sub.get(EXTENSION) in CLASSES, (event.event_type, s, f)
            if is_personal_name(f, s):
                assert sub[EXTENSION] in PROTECTED, (event.event_type, s, f)


def test_known_fields_are_classified_as_the_law_reads_them(document: dict[str, Any]) -> None:
    """个人信息保护法 Art. 28: a child's (under 14) identifying data is sensitive; a guardian's
    is personal; a school's name and code are published facts."""
    schemas = document["components"]["schemas"]
    child = schemas["enrollment.ChildRead"]["properties"]
    assert child["citizen_id"][EXTENSION] == "sensitive"
    assert child["name"][EXTENSION] == "sensitive"
    guardian = schemas["enrollment.GuardianRead"]["properties"]
    assert guardian["phone"][EXTENSION] == "personal"
    read = schemas["enrollment.ApplicationRead"]["properties"]
    assert read["status"][EXTENSION] == "internal"
    assert read["id"][EXTENSION] == "internal"
    assert schemas["assistance.StudentRead"]["properties"]["citizen_id"][EXTENSION] == "sensitive"
    assert schemas["staffing.TeacherRead"]["properties"]["citizen_id"][EXTENSION] == "personal"
    assert schemas["enrollment.SchoolRead"]["properties"]["name"][EXTENSION] == "public"


def test_the_name_patterns_catch_a_persons_fields() -> None:
    assert is_personal_name("guardian_phone")
    assert is_personal_name("child.name")
    assert is_personal_name("name", "TeacherRead")
    assert is_personal_name("disability_grade")
    assert not is_personal_name("name", "SchoolRead")
    assert not is_personal_name("name", "ZoneLookupRead")
    assert not is_personal_name("school_code")
