"""A county sees nothing of another: Tongyu (220822, another province) and Kangbashi (150603,
Dongsheng's neighbour in the same prefecture) against everything Dongsheng (150602) wrote.

Dongsheng writes one record of every kind it keeps (the `seeded` fixture). Then, for every
operation of the merged OpenAPI, each other county calls it with Dongsheng's values (its record
ids, its county code, its school codes, and once more with every optional filter naming them):
reads answer 403/404 problem or a body holding none of Dongsheng's ids and codes; writes are
refused. Writes Dongsheng made while seeding are replayed with the very same (valid) request, so
only the jurisdiction check can refuse them. The neighbour catches a check that compares only a
code's province or prefecture digits. The cases come from the document, so a new route is
covered the day it is published; a read or write whose record kind is not seeded is listed
below with the reason, and a new one fails `test_every_read_has_a_case` /
`test_every_write_has_a_case`.
"""

from typing import Any

import httpx
import pytest
from junheng_devtools.system import ALL_SCOPES

from .conftest import (
    DONGSHENG,
    KANGBASHI,
    RETENTION_RULE,
    TONGYU,
    ClientFactory,
    Seeded,
    example,
)
from .openapi_walk import Operation, operations

# the first test starts the session's system: minutes on a busy shared machine
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

# reads whose record kind the `seeded` fixture does not create, with the reason: such a read is
# called with a placeholder id (404 to both counties) and proves nothing. Empty since every kind
# is seeded; a new read over a new kind of record fails `test_every_read_has_a_case` until
# `seeded` writes one (or it is listed here with a reason).
NOT_SEEDED: dict[str, str] = {}
# writes on a record kind that is not seeded: skipped (nothing of Dongsheng's to write on)
NOTICE = "a status notice needs an agency to stop confirming an awarded category between two jobs"
NOT_SEEDED_WRITES: dict[str, str] = {
    "POST /assistance/v1/notices/{notice_id}/appeal": NOTICE,
    "POST /assistance/v1/notices/{notice_id}/resolution": NOTICE,
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
# reads sent as POST so a citizen ID stays out of URLs: another county's client is refused or
# finds nothing of Dongsheng's (checked like a read: 200 with no marker leaked)
READS_BY_POST = {
    "POST /enrollment/v1/applications/search": "a child's applications by citizen ID",
    "POST /assistance/v1/students/search": "a child's roster row and aid by citizen ID",
    "POST /enrollment/v1/children/export": "everything enrollment holds about a child",
    "POST /assistance/v1/children/export": "everything assistance holds about a child",
}


def unseeded(op: Operation, seeded: Seeded) -> list[str]:
    """Path parameters with no record of the operation's own service (an id another service
    seeded under the same name would be "not found" to every county and prove nothing)."""
    values = seeded.values_for(op.service, op.path)
    return [
        p["name"]
        for p in op.parameters
        if p["in"] == "path" and p["name"] not in values and p["name"] not in _FREE
    ]


_FREE = {"level", "document", "key", "code", "kind"}  # values, not records: filled plausibly


def leaked(response: httpx.Response, seeded: Seeded) -> list[str]:
    text = response.text
    return sorted(m for m in seeded.markers if m in text)


def call(
    http: httpx.Client, op: Operation, seeded: Seeded, *, filters: bool = False, **kwargs: Any
) -> httpx.Response:
    """The operation with Dongsheng's values; `filters` adds every optional query filter that
    names one of Dongsheng's records (`student_id`, `job_id`, `school_code`, `year` …)."""
    values = seeded.values_for(op.service, op.path)
    query = op.query(values)
    asked = {"county_code", "region_code"} | (set(values) if filters else set())
    for p in op.parameters:  # ask for Dongsheng by name wherever a filter allows
        if p["in"] == "query" and p["name"] in asked:
            query[p["name"]] = values[p["name"]]
    return http.request(
        op.method.upper(), op.url(values), params=query, **(kwargs or op.request_kwargs())
    )


@pytest.fixture(
    scope="module", params=[TONGYU, KANGBASHI], ids=["tongyu-220822", "kangbashi-150603"]
)
def other(request: pytest.FixtureRequest, client_for: ClientFactory) -> httpx.Client:
    """A client of another county holding every scope."""
    return client_for(ALL_SCOPES, (request.param,))


@pytest.fixture(scope="module")
def service_ops(merged_openapi: dict[str, Any]) -> list[Operation]:
    return [op for op in operations(merged_openapi) if op.service is not None]


class TestSeeding:
    def test_dongsheng_wrote_every_kind_of_record(self, seeded: Seeded) -> None:
        assert seeded.failures == [], "\n".join(seeded.failures)
        assert {"hold_id", "job_id"} <= set(seeded.by_service["enrollment"])
        assert {"hold_id", "job_id"} <= set(seeded.by_service["assistance"])
        assert {
            "school_code",
            "map_id",
            "application_id",
            "teacher_id",
            "assessment_id",
            "student_id",
            "run_id",
            "plan_id",
            "award_id",
            "batch_id",
            "disbursement_id",
        } <= set(seeded.values)
        # a service's own record under a shared name is never shared: each service's is its own
        assert not set(seeded.values) & {n for v in seeded.by_service.values() for n in v}
        # each record's id is a marker: a read or error body that holds it leaked it
        ids = {
            v
            for values in (seeded.values, *seeded.by_service.values())
            for k, v in values.items()
            if k.endswith("_id")
        }
        assert ids <= seeded.markers, ids - seeded.markers


class TestReads:
    def test_every_read_has_a_case(self, seeded: Seeded, service_ops: list[Operation]) -> None:
        reads = [op for op in service_ops if op.method == "get"]
        missing = {op.id: unseeded(op, seeded) for op in reads if unseeded(op, seeded)}
        assert {k: v for k, v in missing.items() if k not in NOT_SEEDED} == {}

    def test_every_write_has_a_case(self, seeded: Seeded, service_ops: list[Operation]) -> None:
        writes = [op for op in service_ops if op.method != "get"]
        missing = {op.id: unseeded(op, seeded) for op in writes if unseeded(op, seeded)}
        assert {k: v for k, v in missing.items() if k not in NOT_SEEDED_WRITES} == {}

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

    def test_other_county_sees_nothing_of_dongsheng(
        self, seeded: Seeded, other: httpx.Client, service_ops: list[Operation]
    ) -> None:
        wrong = []
        outcomes = {"refused": 0, "empty": 0}
        for op in service_ops:
            if op.method != "get" or op.id in NOT_COUNTY_SCOPED:
                continue
            filterable = any(
                p["in"] == "query" and not p.get("required") and p["name"] in seeded.values
                for p in op.parameters
            )
            for filters in (False, True) if filterable else (False,):
                response = call(other, op, seeded, filters=filters)
                if response.status_code in REFUSED or response.status_code == 422:
                    assert response.headers["content-type"].startswith("application/problem+json")
                    outcomes["refused"] += 1
                elif response.status_code == 200 and not leaked(response, seeded):
                    outcomes["empty"] += 1
                else:
                    case = f"{op.id} (filtered)" if filters else op.id
                    wrong.append((case, response.status_code, leaked(response, seeded)[:5]))
        assert wrong == []
        print(f"\njurisdiction reads: {outcomes}")


class TestWrites:
    def test_other_county_cannot_write_on_dongsheng_records(
        self,
        seeded: Seeded,
        other: httpx.Client,
        service_ops: list[Operation],
        merged_openapi: dict[str, Any],
    ) -> None:
        """Each write with Dongsheng's ids/codes and a body: the very request Dongsheng sent
        where seeding made that write (valid, so only the jurisdiction can refuse it: 403/404),
        else the documented example body (Dongsheng's county) where there is one: refused
        (403/404), or 4xx where the body is incomplete."""
        wrong, outcomes = [], {"refused": 0, "replayed and refused": 0, "invalid": 0}
        for op in service_ops:
            if op.method == "get" or unseeded(op, seeded):
                continue
            replayed = op.id in seeded.requests
            if replayed:
                kwargs = seeded.requests[op.id]
            else:
                try:
                    kwargs = {"json": example(merged_openapi, op.method, op.path)}
                except KeyError:
                    kwargs = op.request_kwargs()
            response = call(other, op, seeded, **kwargs)
            if op.id in READS_BY_POST and response.status_code == 200:
                if leaked(response, seeded):
                    wrong.append((op.id, response.status_code, leaked(response, seeded)[:5]))
                continue
            if response.status_code in REFUSED:
                outcomes["replayed and refused" if replayed else "refused"] += 1
            elif not replayed and response.status_code in (400, 409, 415, 422, 428):
                outcomes["invalid"] += 1
            else:
                wrong.append((op.id, response.status_code, response.text[:200]))
        assert wrong == []
        assert sum(outcomes.values()) >= 40
        assert outcomes["replayed and refused"] >= 15  # seeding's writes, e.g. review, approval
        print(f"\njurisdiction writes: {outcomes}")


class TestLegalHolds:
    """The generic write case for `DELETE /{service}/v1/legal-holds/{hold_id}`, made specific:
    the id is a live hold of that very service in Dongsheng (so the refusal is the jurisdiction
    check's, not a stranger id's 404), and it still stands after the other county's call."""

    @pytest.mark.parametrize("service", ["enrollment", "assistance"])
    def test_another_county_cannot_release_a_dongsheng_hold(
        self, seeded: Seeded, other: httpx.Client, dongsheng: httpx.Client, service: str
    ) -> None:
        hold_id = seeded.by_service[service]["hold_id"]

        def active_holds() -> set[str]:
            response = dongsheng.get(
                f"/{service}/v1/legal-holds", params={"county_code": DONGSHENG, "active": True}
            )
            assert response.status_code == 200, response.text
            return {hold["id"] for hold in response.json()["items"]}

        assert hold_id in active_holds()  # Dongsheng reaches it: a hold of this service
        refused = other.delete(
            f"/{service}/v1/legal-holds/{hold_id}", params={"reason": "越权释放 / not ours"}
        )
        assert refused.status_code in REFUSED, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert hold_id in active_holds()  # still held


class TestRetentionRules:
    """The generic cases for `/{service}/v1/retention-rules/{scope_code}/{kind}/{effective_from}`,
    made specific: the path names Dongsheng's own rule (so the other county's 403/404 is the
    jurisdiction check's, not an unknown rule's), and the replayed PUT leaves it as it was."""

    @pytest.mark.parametrize("service", ["enrollment", "assistance"])
    def test_another_county_can_neither_read_nor_change_a_dongsheng_rule(
        self, seeded: Seeded, other: httpx.Client, dongsheng: httpx.Client, service: str
    ) -> None:
        template = f"/{service}{RETENTION_RULE}"
        url = template.format_map(seeded.values_for(service, template))
        mine = dongsheng.get(url)
        assert mine.status_code == 200, mine.text  # Dongsheng reaches it: a rule that exists
        assert mine.json()["keep_months"] == 1200

        read = other.get(url)
        assert read.status_code in REFUSED, read.text
        assert read.headers["content-type"].startswith("application/problem+json")
        body = {**seeded.requests[f"PUT {template}"]["json"], "keep_months": 1}
        written = other.put(url, json=body)
        assert written.status_code in REFUSED, written.text
        after = dongsheng.get(url)
        assert (after.json()["keep_months"], after.headers["etag"]) == (
            1200,
            mine.headers["etag"],
        )
