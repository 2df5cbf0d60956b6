"""The kit documents, for every operation, the problems its handlers really send (issue 8 §1:
the fuzzer found 400, 415 and 422 bodies that the OpenAPI did not list or listed wrongly)."""

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel

from junheng_kit.app import build_service_app
from junheng_kit.problems import Conflict, problem_responses
from junheng_kit.testing.plugin import small_service_settings

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


class Note(BaseModel):
    text: str


def document() -> dict:
    router = APIRouter(prefix="/v1/notes")

    @router.post("", status_code=201)
    async def create(body: Note) -> Note:  # declares no problems at all
        return body

    @router.get("/{note_id}", responses=problem_responses(Conflict))
    async def read(note_id: int) -> Note:
        return Note(text=str(note_id))

    @router.post("/imports")
    async def upload(content_type: Annotated[str, Header()] = "") -> Note:
        return Note(text=content_type)

    settings = small_service_settings("notes")
    app = build_service_app(settings, title="notes", description="", routers=[router])
    return app.openapi()


class TestProblemResponsesInOpenApi:
    def test_a_route_declaring_nothing_lists_the_problems_every_request_may_meet(self) -> None:
        responses = document()["paths"]["/v1/notes"]["post"]["responses"]
        assert sorted(responses) == ["201", "400", "401", "403", "415", "422"]
        for code in ("400", "401", "403", "415", "422"):
            assert responses[code]["content"] == PROBLEM, code
        assert responses["422"]["description"] == "Request does not match the schema"

    def test_declared_problems_are_problem_json_only_and_path_parameters_add_404(self) -> None:
        responses = document()["paths"]["/v1/notes/{note_id}"]["get"]["responses"]
        assert sorted(responses) == ["200", "401", "403", "404", "409", "422"]
        assert responses["409"] == {
            "description": "Conflicts with current state",
            "headers": {"Content-Language": {"$ref": "#/components/headers/ContentLanguage"}},
            "content": PROBLEM,
        }
        assert "400" not in responses  # no body, nothing to parse

    def test_fastapis_validation_error_schema_is_gone(self) -> None:
        schemas = document()["components"]["schemas"]
        assert "HTTPValidationError" not in schemas
        assert "ValidationError" not in schemas
        assert "Problem" in schemas

    def test_health_routes_are_left_alone(self) -> None:
        paths = document()["paths"]
        assert sorted(paths["/healthz"]["get"]["responses"]) == ["200"]
        assert sorted(paths["/readyz"]["get"]["responses"]) == ["200", "503"]

    def test_a_content_type_header_argument_is_not_a_documented_parameter(self) -> None:
        operation = document()["paths"]["/v1/notes/imports"]["post"]
        # only the kit's Idempotency-Key, which every POST takes, and Accept-Language
        assert [p["name"] for p in operation["parameters"]] == [
            "Idempotency-Key",
            "Accept-Language",
        ]
