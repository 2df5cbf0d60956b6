"""A county sees nothing of another: Tongyu (220822) against everything Dongsheng (150602) wrote.

Dongsheng writes one record of every kind it keeps (the `seeded` fixture). Then, for every
operation of the merged OpenAPI, Tongyu calls it with Dongsheng's values (its record ids, its
county code, its school codes): reads answer 403/404 problem or a body holding none of
Dongsheng's ids and codes; writes are refused. The cases come from the document, so a new route
is covered the day it is published; a read whose record kind is not seeded is listed below with
the reason, and a new one fails `test_every_read_has_a_case`.
"""

from typing import Any

import httpx
import pytest

from .conftest import Seeded, example
from .openapi_walk import Operation, operations

# the first test starts the session's system: minutes on a busy shared machine
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

# reads called with a placeholder id because no record of that kind is seeded here (their
# repositories filter by jurisdiction like the rest; the placeholder answers 404 to both counties)
RUN = "an assignment run needs a full admission season (verified applications, zones, seats)"
PLAN = "a rotation plan needs quotas and teacher pools of a county"
AWARD = "awards need a programme standard, a school application, review and 公示"
JOB = "an identification job scans the whole roster against the agencies' lists"
NOT_SEEDED: dict[str, str] = {
    "GET /enrollment/v1/assignment-runs/{run_id}": RUN,
    "GET /enrollment/v1/assignment-runs/{run_id}/comparison": RUN,
    "GET /enrollment/v1/assignment-runs/{run_id}/instance": RUN,
    "GET /enrollment/v1/assignment-runs/{run_id}/overflow": RUN,
    "GET /enrollment/v1/assignment-runs/{run_id}/provenance": RUN,
    "GET /staffing/v1/rotation-plans/{plan_id}": PLAN,
    "GET /staffing/v1/rotation-plans/{plan_id}/adherence": PLAN,
    "GET /assistance/v1/awards/{award_id}": AWARD,
    "GET /assistance/v1/awards/{award_id}/history": AWARD,
    "GET /assistance/v1/disbursements/{disbursement_id}": AWARD,
    "GET /assistance/v1/publicity-batches/{batch_id}": AWARD,
    "GET /assistance/v1/publicity-batches/{batch_id}/list": AWARD,
    "GET /assistance/v1/publicity-batches/{batch_id}/objections": AWARD,
    "GET /assistance/v1/identification-jobs/{job_id}": JOB,
}
# operations whose data is not county-scoped: the same for every client
NOT_COUNTY_SCOPED = {
    "GET /assistance/v1/programmes": "national/provincial programme catalogue",
    "GET /assistance/v1/programmes/{code}": "national/provincial programme catalogue",
    "GET /assistance/v1/programmes/{code}/versions": "programme catalogue history",
    "GET /assistance/v1/programmes/{code}/standards": "published standards per scope",
    "GET /assistance/v1/agencies": "partner agencies configured for this deployment",
    "GET /assistance/v1/agencies/{code}/health": "circuit state of a partner agency",
    "GET /assistance/v1/calendars/{year}": "the working-day calendar (holidays)",
    "GET /assistance/v1/students/imports/template": "an empty roster sheet",
    "GET /evaluation/v1/school-resources/template.xlsx": "an empty resource sheet",
    "GET /enrollment/v1/import-templates/{kind}": "an empty import sheet",
}
REFUSED = {403, 404}


def unseeded(op: Operation, seeded: Seeded) -> list[str]:
    return [
        p["name"]
        for p in op.parameters
        if p["in"] == "path" and p["name"] not in seeded.values and p["name"] not in _FREE
    ]


_FREE = {"level", "document", "key", "code", "kind"}  # values, not records: filled plausibly


def leaked(response: httpx.Response, seeded: Seeded) -> list[str]:
    text = response.text
    return sorted(m for m in seeded.markers if m in text)


def call(http: httpx.Client, op: Operation, seeded: Seeded, **kwargs: Any) -> httpx.Response:
    query = op.query(seeded.values)
    for p in op.parameters:  # ask for Dongsheng by name wherever a filter allows
        if p["in"] == "query" and p["name"] in ("county_code", "region_code"):
            query[p["name"]] = seeded.values[p["name"]]
    return http.request(
        op.method.upper(), op.url(seeded.values), params=query, **(kwargs or op.request_kwargs())
    )


@pytest.fixture(scope="module")
def service_ops(merged_openapi: dict[str, Any]) -> list[Operation]:
    return [op for op in operations(merged_openapi) if op.service is not None]


class TestSeeding:
    def test_dongsheng_wrote_every_kind_of_record(self, seeded: Seeded) -> None:
        assert seeded.failures == [], "\n".join(seeded.failures)
        assert {
            "school_code",
            "map_id",
            "application_id",
            "teacher_id",
            "assessment_id",
            "student_id",
        } <= set(seeded.values)


class TestReads:
    def test_every_read_has_a_case(self, seeded: Seeded, service_ops: list[Operation]) -> None:
        reads = [op for op in service_ops if op.method == "get"]
        missing = {op.id: unseeded(op, seeded) for op in reads if unseeded(op, seeded)}
        assert {k: v for k, v in missing.items() if k not in NOT_SEEDED} == {}

    def test_dongsheng_reads_its_own_records(
        self, seeded: Seeded, dongsheng: httpx.Client, service_ops: list[Operation]
    ) -> None:
        """The cases are not vacuous: with the same values Dongsheng gets its data."""
        reads = [
            op
            for op in service_ops
            if op.method == "get" and not unseeded(op, seeded) and op.id not in NOT_COUNTY_SCOPED
        ]
        answered = {op.id: call(dongsheng, op, seeded) for op in reads}
        ok = [k for k, r in answered.items() if r.status_code == 200]
        assert len(ok) >= len(reads) * 3 // 4, {
            k: r.status_code for k, r in answered.items() if r.status_code != 200
        }
        assert sum(bool(leaked(answered[k], seeded)) for k in ok) >= len(ok) // 2

    def test_tongyu_sees_nothing_of_dongsheng(
        self, seeded: Seeded, tongyu: httpx.Client, service_ops: list[Operation]
    ) -> None:
        wrong = []
        outcomes = {"refused": 0, "empty": 0}
        for op in service_ops:
            if op.method != "get" or op.id in NOT_COUNTY_SCOPED:
                continue
            response = call(tongyu, op, seeded)
            if response.status_code in REFUSED or response.status_code == 422:
                assert response.headers["content-type"].startswith("application/problem+json")
                outcomes["refused"] += 1
            elif response.status_code == 200 and not leaked(response, seeded):
                outcomes["empty"] += 1
            else:
                wrong.append((op.id, response.status_code, leaked(response, seeded)[:5]))
        assert wrong == []
        print(f"\njurisdiction reads: {outcomes}")


class TestWrites:
    def test_tongyu_cannot_write_on_dongsheng_records(
        self,
        seeded: Seeded,
        tongyu: httpx.Client,
        service_ops: list[Operation],
        merged_openapi: dict[str, Any],
    ) -> None:
        """Each write with Dongsheng's ids/codes, and its documented example body (Dongsheng's
        county) where there is one: refused (403/404), or 422 where the body is incomplete."""
        wrong, outcomes = [], {"refused": 0, "invalid": 0}
        for op in service_ops:
            if op.method == "get" or unseeded(op, seeded):
                continue
            try:
                kwargs = {"json": example(merged_openapi, op.method, op.path)}
            except KeyError:
                kwargs = op.request_kwargs()
            response = call(tongyu, op, seeded, **kwargs)
            if response.status_code in REFUSED:
                outcomes["refused"] += 1
            elif response.status_code in (400, 409, 415, 422, 428):
                outcomes["invalid"] += 1
            else:
                wrong.append((op.id, response.status_code, response.text[:200]))
        assert wrong == []
        assert sum(outcomes.values()) >= 40
        print(f"\njurisdiction writes: {outcomes}")
