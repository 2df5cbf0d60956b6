"""Issue 20 item 2: one field classification read by the OpenAPI, masking and log scrubbing
(junheng_kit.classification)."""

import json
import logging
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field

from junheng_kit.app import build_service_app
from junheng_kit.classification import (
    EXTENSION,
    Personal,
    Public,
    Sensitive,
    classes_of,
    fields_of_class,
    masked,
)
from junheng_kit.identifiers import CitizenId
from junheng_kit.logs import JsonFormatter
from junheng_kit.testing.plugin import small_service_settings


class Mother(BaseModel):
    name: Annotated[str, Personal]
    mother_phone: Annotated[str, Personal]  # on no list anywhere: masked by its kind
    relation: Annotated[str, Personal("shown")]


class Child(BaseModel):
    citizen_id: Annotated[str, Sensitive]
    name: Annotated[str, Sensitive] = Field(description="a child's: sensitive (PIPL Art. 28)")
    birth_date: Annotated[str | None, Sensitive] = None
    hardship_categories: Annotated[list[str] | None, Sensitive("withheld")] = None
    home_address: Annotated[str, Sensitive]
    home_latitude: Annotated[float, Sensitive]


class Answer(BaseModel):
    id: str
    school_name: Annotated[str, Public]
    child: Annotated[Child, Sensitive]
    mothers: Annotated[list[Mother], Personal]


class Registration(BaseModel):
    citizen_id: Annotated[CitizenId, Sensitive]
    school_name: Annotated[str, Public]


ANSWER = Answer(
    id="a-1",
    school_name="东胜区第一小学",
    child=Child(
        citizen_id="150602201903150018",
        name="王小明",
        birth_date="2019-03-15",
        hardship_categories=["dibao"],
        home_address="东胜区天骄路12号",
        home_latitude=39.81534,
    ),
    mothers=[Mother(name="李红", mother_phone="13912345678", relation="mother")],
)


def app_with_routes() -> tuple[object, APIRouter]:
    router = APIRouter(prefix="/v1/registrations")

    @router.post("", status_code=201)
    async def register(body: Registration) -> Answer:
        return ANSWER

    settings = small_service_settings("registry")
    app = build_service_app(settings, title="registry", description="", routers=[router])
    return app, router


class TestTheOpenApiCarriesTheClasses:
    def test_every_property_of_every_schema_has_one_unmarked_ones_internal(self) -> None:
        app, _ = app_with_routes()
        schemas = app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
        for name, schema in schemas.items():
            for field, sub in schema.get("properties", {}).items():
                assert sub.get(EXTENSION) in {"public", "internal", "personal", "sensitive"}, (
                    name,
                    field,
                )
        assert schemas["Answer"]["properties"]["id"][EXTENSION] == "internal"
        assert schemas["Answer"]["properties"]["school_name"][EXTENSION] == "public"
        assert schemas["Child"]["properties"]["citizen_id"][EXTENSION] == "sensitive"
        assert schemas["Mother"]["properties"]["mother_phone"][EXTENSION] == "personal"
        # the marker keeps the field's own schema (its description) beside the class
        assert schemas["Child"]["properties"]["name"]["description"].startswith("a child's")


class TestClassesOfAModel:
    def test_the_classes_an_answer_carries_recursively(self) -> None:
        assert classes_of(Answer) == {"internal", "public", "personal", "sensitive"}
        assert classes_of(Mother) == {"personal"}

    def test_fields_of_a_class_by_dotted_path(self) -> None:
        assert fields_of_class(Answer, "personal") == {
            "mothers",
            "mothers.name",
            "mothers.mother_phone",
            "mothers.relation",
        }
        assert "child.citizen_id" in fields_of_class(Answer, "sensitive")
        assert fields_of_class(Answer, "public") == {"school_name"}


class TestMaskingFollowsTheClassification:
    def test_every_personal_and_sensitive_value_is_masked_by_its_kind(self) -> None:
        shown = masked(ANSWER)
        assert shown.id == "a-1"
        assert shown.school_name == "东胜区第一小学"
        assert shown.child.citizen_id == "150602********0018"
        assert shown.child.name == "王*"
        assert shown.child.birth_date is None  # no masking kind: withheld
        assert shown.child.hardship_categories is None  # withheld as a whole
        assert shown.child.home_address == "东胜区****"
        assert shown.child.home_latitude == 39.82
        # a personal field no list names is masked by the kind its name says
        assert shown.mothers[0].mother_phone == "139****5678"
        assert shown.mothers[0].name == "李*"
        assert shown.mothers[0].relation == "mother"  # shown: the marker says so
        assert ANSWER.child.name == "王小明"  # the original answer is left as it was


class TestNoPersonalDataInLogsOrProblems:
    async def test_an_invalid_citizen_id_is_neither_echoed_nor_logged(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A 422 names the field and the rule, never the value; the log lines of the request
        hold no citizen ID."""
        app, _ = app_with_routes()
        wrong = "150602201903150019"  # MOD 11-2 check digit wrong (…18 is right)
        caplog.set_level(logging.DEBUG)
        async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
            transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://r") as http:
                response = await http.post(
                    "/v1/registrations",
                    json={"citizen_id": wrong, "school_name": "x", "guardian_phone": "1"},
                )
        assert response.status_code == 422
        body = response.json()
        assert [e["field"] for e in body["errors"]] == ["citizen_id"]
        assert body["errors"][0]["rule"]
        assert wrong not in response.text
        formatter = JsonFormatter("registry")
        lines = [formatter.format(record) for record in caplog.records]
        assert lines
        assert not [line for line in lines if wrong in line]

    def test_log_values_of_personal_fields_and_ids_in_texts_are_scrubbed(self) -> None:
        record = logging.LogRecord(
            "x", logging.INFO, "", 0, "lookup of 150602201903150018 failed", (), None
        )
        record.guardian_phone = "13912345678"
        record.note = "call 13912345678"
        line = json.loads(JsonFormatter("x").format(record))
        assert line["event"] == "lookup of 150602********0018 failed"
        assert line["guardian_phone"] == "[redacted]"
        assert line["note"] == "call 139****5678"
