"""Fast routes: the common case skips FastAPI's machinery, everything else reaches the route,
and the middlewares around both (request id, metrics, Idempotency-Key) work either way."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from prometheus_client import REGISTRY
from pydantic import BaseModel, ValidationError
from starlette.responses import JSONResponse, Response

from junheng_kit.app import build_service_app
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.fast_routes import FastRequest
from junheng_kit.problems import Conflict, FieldError
from junheng_kit.testing.plugin import TokenFactory, small_service_settings


class Note(BaseModel):
    text: str


TAKEN = Conflict("that note exists", FieldError("text", "note_unique"))


def notes_app(database_url: str, jwks: str) -> tuple[FastAPI, list[str]]:
    fast_calls: list[str] = []
    router = APIRouter()

    @router.post("/v1/notes", status_code=201)
    async def add_note(
        note: Note, principal: Annotated[Principal, Depends(require_scopes("notes:write"))]
    ) -> dict[str, str]:
        return {"text": note.text, "via": "route"}

    async def fast(request: FastRequest) -> Response | None:
        if not request.is_json() or await request.principal("notes:write") is None:
            return None
        try:
            note = Note.model_validate_json(request.body)
        except ValidationError:
            return None
        fast_calls.append(note.text)
        if note.text == "taken":
            raise TAKEN
        return JSONResponse({"text": note.text, "via": "fast"}, status_code=201)

    settings = small_service_settings("notes", database_url, jwks_json=jwks)
    app = build_service_app(
        settings,
        title="notes",
        description="",
        routers=[router],
        fast_routes={("POST", "/v1/notes"): fast},
    )
    return app, fast_calls


@pytest.fixture
async def notes(
    database_url: str, jwks_json: str
) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    app, calls = notes_app(database_url, jwks_json)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notes") as http:
            yield http, calls


def counted(status: str) -> float:
    value = REGISTRY.get_sample_value(
        "junheng_http_requests_total",
        {"method": "POST", "route": "/v1/notes", "status": status},
    )
    return value or 0.0


async def test_the_common_case_takes_the_fast_way_with_id_and_metrics(
    notes: tuple[httpx.AsyncClient, list[str]], token: TokenFactory
) -> None:
    http, calls = notes
    before = counted("201")
    response = await http.post(
        "/v1/notes",
        json={"text": "hello"},
        headers={"Authorization": f"Bearer {token('notes:write')}"},
    )
    assert response.status_code == 201
    assert response.json() == {"text": "hello", "via": "fast"}
    assert calls == ["hello"]
    assert response.headers["x-request-id"]
    assert counted("201") == before + 1  # labelled with the route template, not "unmatched"


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, b'{"text": "hello"}', 401),  # no token: the route's 401
        ({"scope": "notes:read"}, b'{"text": "hello"}', 403),  # the route's scope check
        ({"scope": "notes:write"}, b'{"text": 5}', 422),  # the route's validation problem
        ({"scope": "notes:write"}, b"{not json", 400),
    ],
)
async def test_everything_else_is_answered_by_the_route(
    notes: tuple[httpx.AsyncClient, list[str]],
    token: TokenFactory,
    headers: dict[str, str],
    body: bytes,
    status: int,
) -> None:
    http, calls = notes
    sent = {"Content-Type": "application/json"}
    if "scope" in headers:
        sent["Authorization"] = f"Bearer {token(headers['scope'])}"
    response = await http.post("/v1/notes", content=body, headers=sent)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert calls == []


async def test_another_content_type_goes_to_the_route(
    notes: tuple[httpx.AsyncClient, list[str]], token: TokenFactory
) -> None:
    http, calls = notes
    response = await http.post(
        "/v1/notes",
        content=b'{"text": "hello"}',
        headers={"Authorization": f"Bearer {token('notes:write')}", "Content-Type": "text/plain"},
    )
    assert calls == []
    assert response.json().get("via") != "fast"


async def test_a_domain_error_is_the_usual_problem(
    notes: tuple[httpx.AsyncClient, list[str]], token: TokenFactory
) -> None:
    http, _ = notes
    response = await http.post(
        "/v1/notes",
        json={"text": "taken"},
        headers={"Authorization": f"Bearer {token('notes:write')}"},
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [{"field": "text", "rule": "note_unique", "message": ""}]
    assert problem["instance"] == f"urn:junheng:request:{response.headers['x-request-id']}"


async def test_idempotency_keys_work_around_the_fast_way(
    notes: tuple[httpx.AsyncClient, list[str]], token: TokenFactory
) -> None:
    http, calls = notes
    headers = {"Authorization": f"Bearer {token('notes:write')}", "Idempotency-Key": "n-1"}
    first = await http.post("/v1/notes", json={"text": "once"}, headers=headers)
    again = await http.post("/v1/notes", json={"text": "once"}, headers=headers)
    other = await http.post("/v1/notes", json={"text": "twice"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 422  # the key was used with another body
    assert calls == ["once"]


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite does not enforce column lengths
async def test_a_record_the_database_refuses_costs_the_others_nothing(
    database_url: str, jwks_json: str, token: TokenFactory
) -> None:
    """Idempotency records are stored in batches; one the database refuses (PostgreSQL: a
    client id longer than its column) is left out alone, the others' retries still replay."""
    app, calls = notes_app(database_url, jwks_json)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://notes") as http:
            good = {"Authorization": f"Bearer {token('notes:write')}"}
            long_id = {"Authorization": f"Bearer {token('notes:write', subject='c' * 150)}"}
            sent = [(good, f"k-{i}", f"note {i}") for i in range(5)] + [(long_id, "k-x", "x")]
            first = await asyncio.gather(
                *(
                    http.post("/v1/notes", json={"text": text}, headers={**h, "Idempotency-Key": k})
                    for h, k, text in sent
                )
            )
            assert [r.status_code for r in first] == [201] * 6
            again = [
                await http.post(
                    "/v1/notes", json={"text": text}, headers={**h, "Idempotency-Key": k}
                )
                for h, k, text in sent
            ]
    assert [r.headers.get("idempotent-replayed") for r in again[:5]] == ["true"] * 5
    assert "idempotent-replayed" not in again[5].headers  # its record was refused: it ran again
    assert sorted(calls) == sorted([text for _, _, text in sent] + ["x"])


class TestTemplatedPath:
    """A fast route whose path ends in one `{parameter}` takes any last segment (no slash);
    deeper paths and other methods reach the routes."""

    @pytest.fixture
    async def items(self, database_url: str, jwks_json: str) -> AsyncIterator[httpx.AsyncClient]:
        router = APIRouter()

        @router.get("/v1/items/{item_id}")
        async def get_item(item_id: str) -> dict[str, str]:
            return {"id": item_id, "via": "route"}

        @router.get("/v1/items/{item_id}/history")
        async def item_history(item_id: str) -> dict[str, str]:
            return {"id": item_id, "via": "history"}

        async def fast(request: FastRequest) -> Response | None:
            item_id = request.scope["path"].rsplit("/", 1)[1]
            return None if item_id == "slow" else JSONResponse({"id": item_id, "via": "fast"})

        app = build_service_app(
            small_service_settings("items", database_url, jwks_json=jwks_json),
            title="items",
            description="",
            routers=[router],
            fast_routes={("GET", "/v1/items/{item_id}"): fast},
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://items") as http:
                yield http

    async def test_the_last_segment_is_taken_by_the_handler(self, items: httpx.AsyncClient) -> None:
        assert (await items.get("/v1/items/a1")).json() == {"id": "a1", "via": "fast"}

    async def test_a_declined_request_and_deeper_paths_reach_the_routes(
        self, items: httpx.AsyncClient
    ) -> None:
        assert (await items.get("/v1/items/slow")).json() == {"id": "slow", "via": "route"}
        assert (await items.get("/v1/items/a1/history")).json() == {"id": "a1", "via": "history"}
        assert (await items.get("/v1/items/")).status_code == 404
