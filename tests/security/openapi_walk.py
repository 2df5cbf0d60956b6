"""The operations of the gateway's merged OpenAPI, with plausible values for their parameters.

Shared by the scope matrix and the jurisdiction tests: both derive their cases from the document,
so a route added without a case makes them fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")
SERVICES = ("enrollment", "staffing", "assistance", "evaluation")
PLACEHOLDER_UUID = "01a20000-0000-7000-8000-000000000000"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# values by parameter name where the schema alone does not say what is plausible
BY_NAME: dict[str, str] = {
    "county_code": "150602",
    "region_code": "150602",
    "school_code": "2115060001",
    "key": "rotation_share",
}
PROGRAMME = "student_living_subsidy"  # a programme code (the `code` with a pattern)
AGENCY = "mca"  # an agency code (the `code` without one): 民政


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as published by the gateway: /enrollment/v1/schools/{school_code}
    scopes: tuple[str, ...]
    parameters: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    body_types: tuple[str, ...] = field(default=(), compare=False)

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def service(self) -> str | None:
        head = self.path.split("/")[1]
        return head if head in SERVICES else None

    @property
    def service_path(self) -> str:
        """The path the service itself serves (gateway prefix stripped)."""
        return self.path.removeprefix(f"/{self.service}")

    def url(self, values: dict[str, str] | None = None, *, service_port: bool = False) -> str:
        path = self.service_path if service_port else self.path
        for parameter in self.parameters:
            if parameter["in"] == "path":
                name = parameter["name"]
                value = (values or {}).get(name) or plausible(name, parameter.get("schema", {}))
                path = path.replace("{" + name + "}", value)
        return path

    def query(self, values: dict[str, str] | None = None) -> dict[str, str]:
        return {
            p["name"]: (values or {}).get(p["name"]) or plausible(p["name"], p.get("schema", {}))
            for p in self.parameters
            if p["in"] == "query" and p.get("required")
        }

    def request_kwargs(self) -> dict[str, Any]:
        """An empty body of the first documented media type (enough to pass the auth layer)."""
        if not self.body_types:
            return {}
        if "application/json" in self.body_types:
            return {"json": {}}
        return {"content": b"", "headers": {"Content-Type": self.body_types[0]}}


def plausible(name: str, schema: dict[str, Any]) -> str:
    if name in BY_NAME:
        return BY_NAME[name]
    if name == "code":
        return PROGRAMME if "pattern" in schema else AGENCY
    if "enum" in schema:
        return str(schema["enum"][0])
    if schema.get("format") == "uuid":
        return PLACEHOLDER_UUID
    if schema.get("format") == "date":
        return "2025-09-01"
    if schema.get("type") == "integer":
        low, high = schema.get("minimum", 2025), schema.get("maximum", 2025)
        return str(min(max(2025, low), high))
    if schema.get("type") == "number":
        return str(schema.get("examples", [schema.get("minimum", 0)])[0])
    return "x"


def operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            scopes = sorted(
                {
                    scope
                    for requirement in operation.get("security", [])
                    for scopes in requirement.values()
                    for scope in scopes
                }
            )
            body = operation.get("requestBody", {}).get("content", {})
            found.append(
                Operation(
                    method,
                    path,
                    tuple(scopes),
                    tuple([*shared, *operation.get("parameters", [])]),
                    tuple(body),
                )
            )
    return found
