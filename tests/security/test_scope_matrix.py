"""Every published route requires the scope it declares, at the gateway and in the service.

The cases come from the gateway's merged OpenAPI: for each operation (method + path) its declared
scopes; then (a) no token → 401, (b) a token holding every other scope → 403 naming the missing
scope, (c) a token holding just the declared scopes → neither 401 nor 403. The services are
called on their own ports too with (a) and (b): they check scopes themselves (defence in depth),
not only the gateway.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from junheng_devtools.system import ALL_SCOPES, System

from gateway.auth.rules import CROSS_SERVICE_SCOPES

from .openapi_walk import SERVICES, Operation, operations

# the first test starts the session's system: minutes on a busy shared machine
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

# Operations anyone may call without a token, each with the reason. Everything else published
# in the merged document must declare at least one scope.
PUBLIC = {
    "POST /oauth/token": "token issuance: the client authenticates with its id and secret",
    "GET /.well-known/jwks.json": "the public keys that verify tokens",
    "GET /healthz": "liveness probe, says nothing about data",
    "GET /readyz": "readiness probe, says nothing about data",
    "GET /metrics": "Prometheus scraping: counters only (loopback/cluster-internal)",
}
# the operations the four services publish through the gateway, counted when this test was
# written; a new route raises the count and must come with its declared scope (enforced below)
MINIMUM_SERVICE_OPERATIONS = 130


def problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), (
        response.request.url,
        response.status_code,
        response.text[:300],
    )
    return dict(response.json())


@pytest.fixture(scope="module")
def matrix(merged_openapi: dict[str, Any]) -> list[Operation]:
    return operations(merged_openapi)


@pytest.fixture(scope="module")
def service_operations(matrix: list[Operation]) -> list[Operation]:
    return [op for op in matrix if op.service is not None]


def call(
    http: httpx.Client, op: Operation, *, service_port: bool = False
) -> tuple[Operation, httpx.Response]:
    response = http.request(
        op.method.upper(),
        op.url(service_port=service_port),
        params=op.query(),
        **op.request_kwargs(),
    )
    return op, response


def run_all(
    ops: list[Operation], client: Callable[[Operation], httpx.Client], *, service_port: bool = False
) -> list[tuple[Operation, httpx.Response]]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(lambda op: call(client(op), op, service_port=service_port), ops))


class TestTheMatrixCoversTheDocument:
    def test_every_operation_declares_a_scope_or_is_listed_public(
        self, matrix: list[Operation]
    ) -> None:
        undeclared = [op.id for op in matrix if not op.scopes and op.id not in PUBLIC]
        assert undeclared == []
        declared_public = [op.id for op in matrix if op.scopes and op.id in PUBLIC]
        assert declared_public == []

    def test_every_service_operation_is_published_with_a_known_scope_of_its_service(
        self, service_operations: list[Operation]
    ) -> None:
        assert len(service_operations) >= MINIMUM_SERVICE_OPERATIONS
        assert {op.service for op in service_operations} == set(SERVICES)
        # a service's own scopes, or one of no one service (`audit:read`: every audit trail)
        known = set(ALL_SCOPES) | set(CROSS_SERVICE_SCOPES)
        foreign = [
            op.id
            for op in service_operations
            if any(
                s not in known or not (s.startswith(f"{op.service}:") or s in CROSS_SERVICE_SCOPES)
                for s in op.scopes
            )
        ]
        assert foreign == []

    def test_the_public_operations_answer_without_a_token(
        self, system: System, matrix: list[Operation]
    ) -> None:
        public = [op for op in matrix if op.id in PUBLIC]
        assert {"POST /oauth/token", "GET /.well-known/jwks.json"} <= {op.id for op in public}
        with httpx.Client(base_url=system.gateway_url, timeout=30) as anonymous:
            for op, response in run_all(public, lambda _: anonymous):
                assert response.status_code != 401, op.id


class TestThroughTheGateway:
    def test_without_a_token_every_operation_is_401_problem(
        self, client_for: Callable[..., httpx.Client], service_operations: list[Operation]
    ) -> None:
        anonymous = client_for(None)
        wrong = []
        for op, response in run_all(service_operations, lambda _: anonymous):
            body = problem(response)
            if response.status_code != 401 or body["errors"][0]["rule"] != (
                "bearer_token_required"
            ):
                wrong.append((op.id, response.status_code))
        assert wrong == []

    def test_a_token_with_every_scope_but_the_declared_ones_is_403_naming_them(
        self, client_for: Callable[..., httpx.Client], service_operations: list[Operation]
    ) -> None:
        wrong = []
        for op, response in run_all(
            service_operations, lambda op: client_for(sorted(set(ALL_SCOPES) - set(op.scopes)))
        ):
            if response.status_code != 403:
                wrong.append((op.id, op.scopes, response.status_code))
                continue
            error = problem(response)["errors"][0]
            if error["rule"] != "scope_required" or any(
                s not in error["message"] for s in op.scopes
            ):
                wrong.append((op.id, op.scopes, error))
        assert wrong == []

    def test_a_token_with_just_the_declared_scopes_passes_the_scope_check(
        self, client_for: Callable[..., httpx.Client], service_operations: list[Operation]
    ) -> None:
        refused = [
            (op.id, op.scopes, response.status_code, response.text[:200])
            for op, response in run_all(service_operations, lambda op: client_for(op.scopes))
            if response.status_code in (401, 403)
        ]
        assert refused == []


class TestInEachService:
    """The services are reachable on their own ports (loopback, health and metrics): they must
    refuse a missing or wrong-scope token by themselves."""

    def test_a_service_called_directly_refuses_a_missing_token(
        self,
        system: System,
        client_for: Callable[..., httpx.Client],
        service_operations: list[Operation],
    ) -> None:
        direct = {s: client_for(None, base_url=system.service_url(s)) for s in SERVICES}
        wrong = [
            (op.id, response.status_code)
            for op, response in run_all(
                service_operations, lambda op: direct[str(op.service)], service_port=True
            )
            if response.status_code != 401
        ]
        assert wrong == []

    def test_a_service_called_directly_refuses_a_token_without_the_declared_scope(
        self,
        system: System,
        client_for: Callable[..., httpx.Client],
        service_operations: list[Operation],
    ) -> None:
        def client(op: Operation) -> httpx.Client:
            return client_for(
                sorted(set(ALL_SCOPES) - set(op.scopes)),
                base_url=system.service_url(str(op.service)),
            )

        wrong: list[tuple[str, tuple[str, ...], int | str]] = []
        for op, response in run_all(service_operations, client, service_port=True):
            if response.status_code != 403:
                wrong.append((op.id, op.scopes, response.status_code))
            elif problem(response)["errors"][0]["rule"] != "scope_required":
                wrong.append((op.id, op.scopes, response.text[:200]))
        assert wrong == []
