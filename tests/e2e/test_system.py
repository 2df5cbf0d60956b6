"""The whole system as real processes: nats-server, four services and the gateway.

What a bureau relies on: a token from the gateway opens the API, a school registered in
enrollment reaches every other service's copy, counties stay apart, a consumer killed mid-stream
loses and duplicates nothing, and a retried POST is answered once.
"""

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from junheng_devtools.system import ALL_SCOPES, System

pytestmark = pytest.mark.e2e
CONSUMERS = ("staffing", "assistance", "evaluation")


def school(code: str, county: str = "150602", name: str = "东胜区测试小学") -> dict[str, Any]:
    return {
        "school_code": code,
        "name": name,
        "levels": ["primary"],
        "county_code": county,
        "location": {"longitude": 109.99, "latitude": 39.82},
        "planned_capacity": 900,
    }


def wait_until(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"not reached within {timeout}s; last {last!r}")


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    from junheng_kit.processes import free_port

    running = System(
        var=tmp_path_factory.mktemp("system"),
        gateway_port=free_port(),
        extra_env={"GATEWAY_RATE_LIMIT_PER_SECOND": "1000", "GATEWAY_RATE_LIMIT_BURST": "2000"},
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def dongsheng(system: System) -> httpx.Client:
    credentials = system.register_client(
        name="东胜区教育局", scopes=ALL_SCOPES, jurisdiction=["150602"]
    )
    return httpx.Client(
        base_url=system.gateway_url,
        timeout=30,
        headers={"Authorization": f"Bearer {system.token(credentials)}"},
    )


@pytest.fixture(scope="module")
def tongyu(system: System) -> httpx.Client:
    credentials = system.register_client(
        name="通榆县教育局", scopes=ALL_SCOPES, jurisdiction=["220822"]
    )
    return httpx.Client(
        base_url=system.gateway_url,
        timeout=30,
        headers={"Authorization": f"Bearer {system.token(credentials)}"},
    )


def copy_of(client: httpx.Client, service: str, code: str) -> dict[str, Any] | None:
    response = client.get(f"/{service}/v1/schools/{code}")
    return dict(response.json()) if response.status_code == 200 else None


class TestRegistrationReachesEveryService:
    def test_school_registered_through_the_gateway_appears_in_the_three_copies(
        self, dongsheng: httpx.Client
    ) -> None:
        response = dongsheng.post("/enrollment/v1/schools", json=school("2115061001"))
        assert response.status_code == 201
        assert response.headers["x-request-id"]
        for service in CONSUMERS:
            copy = wait_until(lambda s=service: copy_of(dongsheng, s, "2115061001"))
            assert copy["name"] == "东胜区测试小学"
            assert copy["version"] == 1

    def test_an_update_reaches_the_copies_too(self, dongsheng: httpx.Client) -> None:
        assert (
            dongsheng.post("/enrollment/v1/schools", json=school("2115061002")).status_code == 201
        )
        patched = dongsheng.patch(
            "/enrollment/v1/schools/2115061002",
            json={"planned_capacity": 1350},
            headers={"If-Match": '"1"'},
        )
        assert patched.status_code == 200
        for service in CONSUMERS:
            copy = wait_until(
                lambda s=service: (
                    (c := copy_of(dongsheng, s, "2115061002")) and c["version"] == 2 and c
                )
            )
            assert copy["planned_capacity"] == 1350


class TestAccess:
    def test_a_request_without_a_token_is_401_problem(self, system: System) -> None:
        response = httpx.get(f"{system.gateway_url}/staffing/v1/schools", timeout=10)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["rule"] == "bearer_token_required"

    def test_a_county_sees_nothing_of_another(
        self, dongsheng: httpx.Client, tongyu: httpx.Client
    ) -> None:
        assert (
            tongyu.post(
                "/enrollment/v1/schools", json=school("2122081001", "220822", "通榆县测试小学")
            ).status_code
            == 201
        )
        wait_until(lambda: copy_of(tongyu, "staffing", "2122081001"))
        for service in ("enrollment", *CONSUMERS):
            assert dongsheng.get(f"/{service}/v1/schools/2122081001").status_code == 404
            listed = dongsheng.get(f"/{service}/v1/schools", params={"limit": 500}).json()
            assert all(s["county_code"].startswith("150602") for s in listed["items"])
        foreign = dongsheng.post(
            "/enrollment/v1/schools", json=school("2122081002", "220822", "通榆县另一小学")
        )
        assert foreign.status_code == 403
        assert foreign.json()["errors"][0]["rule"] == "jurisdiction"


class TestIdempotency:
    def test_a_retried_post_with_the_same_key_returns_the_first_response(
        self, dongsheng: httpx.Client
    ) -> None:
        body = school("2115061003")
        headers = {"Idempotency-Key": "e2e-2115061003"}
        first = dongsheng.post("/enrollment/v1/schools", json=body, headers=headers)
        again = dongsheng.post("/enrollment/v1/schools", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        # the Location the caller follows through the gateway, replayed alike
        assert first.headers["location"] == again.headers["location"]
        assert first.headers["location"] == "/enrollment/v1/schools/2115061003"
        followed = dongsheng.get(first.headers["location"])
        assert (followed.status_code, followed.json()["school_code"]) == (200, "2115061003")


class TestConsumerCrash:
    def test_killing_a_consumer_while_events_flow_loses_and_duplicates_nothing(
        self, system: System, dongsheng: httpx.Client
    ) -> None:
        codes = [f"21150620{n:02d}" for n in range(40)]
        accepted: list[str] = []

        def publish() -> None:
            for code in codes:
                if dongsheng.post("/enrollment/v1/schools", json=school(code)).status_code == 201:
                    accepted.append(code)

        writer = threading.Thread(target=publish)
        writer.start()
        wait_until(lambda: len(accepted) >= 10)
        system.processes["staffing"].kill()  # SIGKILL mid-stream
        writer.join()
        system.processes["staffing"].start()
        system.processes["staffing"].wait_ready()

        def all_copied() -> bool:
            listed = dongsheng.get("/staffing/v1/schools", params={"limit": 500}).json()
            present = {s["school_code"] for s in listed["items"]}
            return set(accepted) <= present

        assert accepted == codes
        wait_until(all_copied, timeout=60)
        listed = dongsheng.get("/staffing/v1/schools", params={"limit": 500}).json()["items"]
        copies = [s for s in listed if s["school_code"] in set(codes)]
        assert sorted(s["school_code"] for s in copies) == codes  # each exactly once
        assert all(s["version"] == 1 for s in copies)
        inbox = inbox_counts(system.var / "staffing.sqlite3", codes)
        assert inbox == {"rows": len(codes), "distinct_events": len(codes)}


def inbox_counts(database: Path, codes: list[str]) -> dict[str, int]:
    """The staffing inbox: one row per applied event, none twice."""
    import sqlite3

    with sqlite3.connect(database) as connection:
        event_ids = [
            row[0]
            for row in connection.execute(
                "SELECT source_event_id FROM school WHERE school_code IN "  # noqa: S608 - placeholders
                f"({','.join('?' * len(codes))})",
                codes,
            )
        ]
        rows = connection.execute(
            "SELECT event_id FROM processed_message WHERE event_id IN "  # noqa: S608 - placeholders
            f"({','.join('?' * len(event_ids))})",
            event_ids,
        ).fetchall()
    return {"rows": len(rows), "distinct_events": len({r[0] for r in rows})}


class TestCountyAssessment:
    def test_a_bureau_imports_its_sheet_and_sees_which_schools_fail(
        self, system: System, dongsheng: httpx.Client, tmp_path: Path
    ) -> None:
        from junheng_devtools.demo import load_demo_resources

        root = Path(__file__).resolve().parents[2]
        sheet = tmp_path / "resources.xlsx"
        token = dongsheng.headers["Authorization"].removeprefix("Bearer ")
        load_demo_resources(
            system, token, root / "demo" / "150602-school-resources-2025.json", sheet
        )
        imported = dongsheng.post(
            "/evaluation/v1/school-resources/150602/2025/imports",
            content=sheet.read_bytes(),
            headers={
                "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            },
        )
        assert imported.status_code == 201
        assert imported.json()["sections"] == 14
        assessed = dongsheng.post(
            "/evaluation/v1/assessments", json={"county_code": "150602", "year": 2025}
        )
        assert assessed.status_code == 201
        verdict = assessed.json()["resource_allocation"]
        assert verdict["failing_schools"] == [
            {"school_code": "2115060005", "level": "primary"},
            {"school_code": "3115060005", "level": "junior"},
        ]
        again = dongsheng.get(f"/evaluation/v1/assessments/{assessed.json()['id']}")
        assert again.json() == assessed.json()
