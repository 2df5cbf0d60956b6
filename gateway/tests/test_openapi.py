"""The merged OpenAPI document and the Swagger UI."""

import json
from typing import Any

import httpx
from fastapi import FastAPI

from gateway.openapi.merge import RATE_LIMIT_HEADERS, merge


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


class TestMergedOpenApi:
    async def test_prefixes_paths_namespaces_schemas_and_requires_oauth2(
        self, gateway: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = gateway
        response = await http.get("/openapi.json")
        assert response.status_code == 200
        document = response.json()
        paths = document["paths"]
        assert {
            "/enrollment/v1/echo",
            "/enrollment/v1/items/{item_id}",
            "/staffing/v1/items",
            "/oauth/token",
            "/.well-known/jwks.json",
        } <= set(paths)
        assert "/enrollment/healthz" not in paths
        assert "/v1/echo" not in paths
        schemas = document["components"]["schemas"]
        assert {"enrollment.Item", "staffing.Item", "Problem"} <= set(schemas)
        assert "Item" not in schemas
        get_item = paths["/enrollment/v1/items/{item_id}"]["get"]
        assert get_item["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/enrollment.Item"
        }
        assert get_item["responses"]["401"]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }
        assert get_item["security"] == [{"OAuth2": ["enrollment:read"]}]
        assert paths["/staffing/v1/items"]["post"]["security"] == [{"OAuth2": ["staffing:write"]}]
        assert get_item["operationId"].startswith("enrollment.")
        titles = [s.get("title") for name, s in schemas.items() if name.endswith(".Item")]
        assert sorted(titles) == ["enrollment.Item", "staffing.Item"]  # no two alike
        flow = document["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"]
        assert flow["tokenUrl"] == "/oauth/token"
        assert "evaluation:write" in flow["scopes"]
        assert "/oauth/token" in paths
        assert "security" not in paths["/oauth/token"]["post"]
        for ref in _refs(document):  # every reference resolves
            section, name = ref.removeprefix("#/components/").split("/")
            assert name in document["components"][section], ref

    async def test_the_token_form_documents_its_400_415_and_429_problems(
        self, gateway: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = gateway
        document = (await http.get("/openapi.json")).json()
        responses = document["paths"]["/oauth/token"]["post"]["responses"]
        assert sorted(responses) == ["200", "400", "401", "403", "415", "422", "429"]
        assert set(responses["415"]["content"]) == {"application/problem+json"}
        wrong_type = await http.post("/oauth/token", json={"grant_type": "client_credentials"})
        assert wrong_type.status_code == 415
        assert wrong_type.headers["content-type"] == "application/problem+json"

    async def test_every_gateway_operation_with_a_body_documents_400_and_415(
        self, gateway: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        """A body that is not JSON answers 400, one in another media type 415: both documented
        on each of the gateway's own operations that take a body (the fuzz run checks it)."""
        app, http = gateway
        own = app.openapi()
        with_body = [
            (path, method)
            for path, operations in own["paths"].items()
            for method, operation in operations.items()
            if isinstance(operation, dict) and "requestBody" in operation
        ]
        assert ("/v1/children/export", "post") in with_body
        document = (await http.get("/openapi.json")).json()
        for path, method in with_body:
            responses = document["paths"][path][method]["responses"]
            assert {"400", "415"} <= set(responses), (path, method, sorted(responses))

    async def test_services_that_do_not_answer_are_noted_not_fatal(
        self, gateway: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = gateway
        document = (await http.get("/openapi.json")).json()
        assert "assistance, evaluation" in document["info"]["description"]
        assert not any(p.startswith("/assistance/") for p in document["paths"])

    async def test_the_document_has_a_validator_and_travels_gzipped(
        self, gateway: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = gateway
        plain = await http.get("/openapi.json", headers={"Accept-Encoding": "identity"})
        zipped = await http.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
        again = await http.get("/openapi.json", headers={"If-None-Match": plain.headers["etag"]})

        assert plain.headers["etag"].startswith('W/"')
        assert "content-encoding" not in plain.headers
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.headers["etag"] == plain.headers["etag"]
        assert int(zipped.headers["content-length"]) < len(plain.content) / 4
        assert zipped.json() == plain.json()  # httpx decodes the gzip
        assert (again.status_code, again.content, again.headers["etag"]) == (
            304,
            b"",
            plain.headers["etag"],
        )
        assert "content-type" not in again.headers

    async def test_swagger_ui_points_at_the_merged_document(
        self, gateway: tuple[FastAPI, httpx.AsyncClient]
    ) -> None:
        _, http = gateway
        response = await http.get("/docs")
        assert response.status_code == 200
        assert "/openapi.json" in response.text


class TestMergeRules:
    def test_discriminator_mappings_and_other_sections_are_renamed(self) -> None:
        service = {
            "paths": {
                "/v1/pets": {
                    "get": {"responses": {"200": {"$ref": "#/components/responses/PetList"}}}
                }
            },
            "components": {
                "schemas": {
                    "Pet": {
                        "oneOf": [{"$ref": "#/components/schemas/Cat"}],
                        "discriminator": {
                            "propertyName": "kind",
                            "mapping": {"cat": "#/components/schemas/Cat"},
                        },
                    },
                    "Cat": {"type": "object"},
                },
                "responses": {
                    "PetList": {
                        "description": "pets",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        },
                    }
                },
            },
        }
        merged = merge(
            {"openapi": "3.1.0", "info": {"title": "t"}, "paths": {}},
            {"evaluation": service},
            ["evaluation:read"],
        )
        text = json.dumps(merged)
        assert '"#/components/schemas/Cat"' not in text
        assert merged["components"]["schemas"]["evaluation.Pet"]["discriminator"]["mapping"] == {
            "cat": "#/components/schemas/evaluation.Cat"
        }
        assert merged["paths"]["/evaluation/v1/pets"]["get"]["responses"]["200"] == {
            "$ref": "#/components/responses/evaluation.PetList"
        }

    def test_service_operations_list_the_problems_the_gateway_answers_itself(self) -> None:
        problem = {"$ref": "#/components/schemas/Problem"}
        service = {
            "paths": {
                "/v1/pets": {
                    "get": {"responses": {"200": {"description": "pets"}}},
                    "post": {
                        "requestBody": {"content": {"application/json": {"schema": {}}}},
                        "responses": {"201": {"description": "created"}},
                    },
                }
            }
        }
        gateway = {
            "openapi": "3.1.0",
            "info": {"title": "t"},
            "paths": {
                "/oauth/token": {
                    "post": {
                        "responses": {
                            "415": {
                                "description": "Unsupported media type",
                                "content": {
                                    "application/json": {"schema": problem},
                                    "application/problem+json": {"schema": problem},
                                },
                            }
                        }
                    }
                }
            },
        }
        merged = merge(gateway, {"evaluation": service}, ["evaluation:read"])
        pets = merged["paths"]["/evaluation/v1/pets"]
        assert sorted(pets["get"]["responses"]) == ["200", "429", "503", "504"]
        assert sorted(pets["post"]["responses"]) == ["201", "413", "429", "503", "504"]
        assert pets["post"]["responses"]["504"] == {
            "description": "Upstream did not answer in time",
            "content": {"application/problem+json": {"schema": problem}},
            "headers": {
                "Content-Language": {"$ref": "#/components/headers/ContentLanguage"},
                **RATE_LIMIT_HEADERS,
            },
        }
        assert pets["get"]["responses"]["200"]["headers"] == RATE_LIMIT_HEADERS
        assert set(pets["get"]["responses"]["429"]["headers"]) == {
            "RateLimit",
            "RateLimit-Policy",
            "Retry-After",
            "Content-Language",
        }
        token_415 = merged["paths"]["/oauth/token"]["post"]["responses"]["415"]
        assert token_415["content"] == {"application/problem+json": {"schema": problem}}


async def test_docs_page_and_its_assets_are_served_by_the_gateway(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text
    script = await http.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert len(script.content) > 500_000
