"""Declared inputs (junheng_kit.declared_inputs): an unknown query parameter is a 422 naming it,
a body of a media type the operation does not take is a 415 — for every route of an app, from
FastAPI's own dependency tree (issue 18, honest HTTP)."""

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel

from junheng_kit.declared_inputs import DECLARED_INPUTS
from junheng_kit.problems import install_problem_handlers


class Item(BaseModel):
    name: str


def paging(limit: Annotated[int, Query()] = 10, cursor: str | None = None) -> int:
    return limit


def build() -> FastAPI:
    app = FastAPI(dependencies=[DECLARED_INPUTS])
    install_problem_handlers(app)

    @app.get("/items")
    async def items(
        county_code: str,
        page: Annotated[int, Depends(paging)],
        tag: Annotated[list[str] | None, Query()] = None,
    ) -> dict[str, int]:
        return {"limit": page}

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    @app.patch("/items/{name}")
    async def patch(name: str, item: Item) -> Item:
        return item

    return app


@pytest.fixture
async def http() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build()), base_url="http://t")


class TestQuery:
    async def test_declared_parameters_of_the_route_and_its_dependencies_pass(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.get(
            "/items",
            params=[
                ("county_code", "150602"),
                ("limit", "5"),
                ("tag", "a"),
                ("tag", "b"),
                ("cursor", "x"),
            ],
        )

        assert response.status_code == 200
        assert response.json() == {"limit": 5}

    async def test_an_unknown_parameter_is_a_422_naming_it(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/items", params={"county": "110101", "county_code": "150602"})

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert [(e["field"], e["rule"]) for e in body["errors"]] == [
            ("query.county", "query_parameter_known")
        ]
        assert "county_code, cursor, limit, tag" in body["errors"][0]["message"]
        assert "未知的查询参数" in body["detail"]

    async def test_each_unknown_parameter_is_named_once(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/items?county_code=1&a=1&b=2&a=3&flag")

        assert [e["field"] for e in response.json()["errors"]] == [
            "query.a",
            "query.b",
            "query.flag",
        ]

    async def test_an_operation_without_query_parameters_takes_none(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.post("/items?dry_run=1", json={"name": "x"})

        assert response.status_code == 422
        assert response.json()["errors"][0]["message"] == "可用参数：none"


class TestMediaType:
    async def test_json_and_json_suffixed_types_are_taken(self, http: httpx.AsyncClient) -> None:
        plain = await http.post("/items", json={"name": "x"})
        merge = await http.patch(
            "/items/x",
            content=b'{"name": "y"}',
            headers={"Content-Type": "application/merge-patch+json; charset=utf-8"},
        )

        assert (plain.status_code, merge.status_code) == (200, 200)

    async def test_text_plain_is_a_415_saying_what_the_operation_takes(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.post(
            "/items", content=b'{"name": "x"}', headers={"Content-Type": "text/plain"}
        )

        assert response.status_code == 415
        assert response.headers["accept-post"] == "application/json"
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("header.content-type", "media_type")
        ]

    async def test_a_body_without_a_content_type_is_a_415(self, http: httpx.AsyncClient) -> None:
        response = await http.patch("/items/x", content=b'{"name": "x"}')

        assert response.status_code == 415
        assert response.headers["accept-patch"] == "application/json"

    async def test_no_body_is_left_to_the_schema_check(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/items")

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body"
