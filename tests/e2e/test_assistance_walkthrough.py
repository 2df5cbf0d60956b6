"""应助尽助 walkthrough through the gateway, as a new user tries it after `make run`.

The whole system as processes (nats-server, the services, the gateway and the four partner-agency
simulators holding a share of the demo county's pupils): the demo schools are registered in
enrollment and reach assistance's school copy by events; the demo roster is imported; an
identification job fetches the agencies' signed lists and proposes awards with the assertions
behind them; one award goes through school review → 公示 (5 working days from the day it is
recorded: a 公示 cannot start earlier) → county approval (dated after the 公示's end) →
disbursement; the family reads who looked the child up; 民政's simulator is broken and the lookup
falls back to manual evidence; the ledger verifies.

Assistance and the simulators run on `make run`'s demo clock (JUNHENG_CLOCK_AT: 2026-11-09
09:00 in China, a Monday of the demo roster's school year, in a year whose official calendar is
seeded), so the walkthrough does not depend on the real date.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from junheng_devtools.demo import load_demo_county, load_demo_roster
from junheng_devtools.demo_roster import pupils, roster_csv, write_agency_candidates
from junheng_devtools.system import ALL_SCOPES, DEMO_ASSISTANCE_CLOCK_AT, System

from junheng_kit.crypto_profile import PROFILES, profile
from junheng_kit.processes import free_port
from junheng_kit.testing.plugin import use_crypto_profile
from junheng_kit.tokens import TokenSigner

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # start-up on a busy 2-core machine
DEMO = Path(__file__).resolve().parents[2] / "demo" / "150602-dongsheng-schools.json"
COUNTY = "150602"
LAWFUL = {"purpose": "应助尽助 学生资助认定", "legal_basis": "教财〔2018〕16号"}


def wait_until(check: Any, timeout: float = 60.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last {last!r}")


@pytest.fixture(scope="module", params=PROFILES)
def system(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[System]:
    """The walkthrough runs once per cryptographic profile: international, then 国密 (SM2
    tokens, key certificates and agency assertions — JUNHENG_CRYPTO_PROFILE=guomi in every
    process, as a deployment switches)."""
    with use_crypto_profile(request.param):
        yield from _system(tmp_path_factory)


def _system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    var = tmp_path_factory.mktemp("assistance-walkthrough")
    demo = json.loads(DEMO.read_text())
    roster = pupils(demo["county_code"], demo["schools"])
    (var / "demo-students.csv").write_bytes(roster_csv(roster))
    write_agency_candidates(roster, var / "demo-agency-candidates.csv")
    running = System(
        var=var,
        gateway_port=free_port(),
        agency_region=demo["county_code"],
        agency_registry=var / "demo-agency-candidates.csv",
        ready_timeout=240,  # eleven processes import at once on two busy cores
        extra_env={"GATEWAY_RATE_LIMIT_PER_SECOND": "1000", "GATEWAY_RATE_LIMIT_BURST": "2000"},
        assistance_clock_at=DEMO_ASSISTANCE_CLOCK_AT,  # 2026-11-09, as `make run` runs it
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def bureau(system: System) -> Iterator[httpx.Client]:
    """The demo county loaded as `make run` loads it, and the bureau's client on the gateway."""
    credentials = system.register_client(
        name="东胜区教育局 资助中心", scopes=ALL_SCOPES, jurisdiction=[COUNTY]
    )
    token = system.token(credentials)
    load_demo_county(system, token, DEMO)
    # waits for assistance's school copy, which fills from enrollment's events
    assert load_demo_roster(system, token, (system.var / "demo-students.csv").read_bytes()) > 0
    with httpx.Client(
        base_url=f"{system.gateway_url}/assistance",
        timeout=60,
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        yield http


def pages(http: httpx.Client, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = http.get(
            url, params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json().get("next_cursor")
        if not cursor:
            return items


def etag_of(http: httpx.Client, award_id: str) -> str:
    return http.get(f"/v1/awards/{award_id}").headers["ETag"]


def test_tokens_and_published_keys_are_of_the_deployments_profile(
    system: System, bureau: httpx.Client
) -> None:
    """Under 国密 the gateway signs with SM2-SM3 and publishes an SM2 key; a token of the other
    profile's algorithm is refused (401) by the gateway and by a service's own port."""
    guomi = profile().guomi
    token = bureau.headers["Authorization"].removeprefix("Bearer ")
    assert jwt.get_unverified_header(token)["alg"] == ("SM3withSM2" if guomi else "EdDSA")
    [key] = httpx.get(f"{system.gateway_url}/.well-known/jwks.json").json()["keys"]
    assert (key["kty"], key["crv"], key.get("y") is not None) == (
        ("EC", "SM2", True) if guomi else ("OKP", "Ed25519", False)
    )
    with use_crypto_profile("international" if guomi else "guomi"):
        stranger = TokenSigner.generate(issuer="junheng-gateway", audience="junheng")
        foreign = stranger.issue(subject="x", scopes=ALL_SCOPES, jurisdiction=[COUNTY])
    for base in (system.gateway_url + "/assistance", system.service_url("assistance")):
        refused = httpx.get(f"{base}/v1/programmes", headers={"Authorization": f"Bearer {foreign}"})
        assert refused.status_code == 401, refused.text
        assert refused.json()["errors"][0]["rule"] == "token_invalid"


def test_identify_award_pay_audit_and_fall_back(system: System, bureau: httpx.Client) -> None:
    # 1. 应助尽助: the job fetches the four agencies' signed lists and matches the roster
    started = bureau.post(
        "/v1/identification-jobs",
        json={"county_code": COUNTY, "school_year": 2026, "refresh_lists": True, **LAWFUL},
    )
    assert started.status_code == 202, started.text
    job_url = f"/v1/identification-jobs/{started.json()['id']}"
    job = wait_until(
        lambda: (j := bureau.get(job_url).json())["status"] in ("succeeded", "failed") and j,
        timeout=60,
    )
    assert (job["status"], job["phase"]) == ("succeeded", "done"), job
    assert {(e["agency"], e["status"]) for e in job["lists"]} == {
        (code, "fetched") for code in ("mca", "cdpf", "nrra", "moa")
    }
    counts = job["counts"]
    assert counts["students"] > 300
    assert counts["proposed"] > 0
    assert counts["proposed"] <= counts["auto_identified"] <= counts["eligible"]

    # 2. the proposed awards carry the agency assertions (and list refs) behind them
    proposed = pages(
        bureau, "/v1/awards", {"county_code": COUNTY, "source": "auto", "status": "proposed"}
    )
    assert len(proposed) == counts["proposed"]
    list_refs = {e["list_ref"] for e in job["lists"]}
    for award in proposed:
        assertions = [e for e in award["evidence"] if e not in list_refs]
        assert assertions
        assert set(award["evidence"]) - set(assertions) <= list_refs
    coverage = bureau.get("/v1/coverage", params={"county_code": COUNTY, "school_year": 2026})
    assert coverage.json()["auto_identified"] == counts["auto_identified"]

    # 3. one award: school review → 公示 of 5 working days from today, 2026-11-09 on the demo
    #    clock (11-09 … 11-13) → approval from 11-16; a 公示 from last Friday is backdated
    award = proposed[0]
    reviewed = bureau.post(
        f"/v1/awards/{award['id']}/review",
        json={
            "result": "approved",
            "reviewer": "王老师",
            "panel": ["王老师", "李老师", "家长代表"],
            "reasons": "民政低保名单核实",
        },
        headers={"If-Match": etag_of(bureau, award["id"])},
    )
    assert (reviewed.status_code, reviewed.json()["status"]) == (200, "reviewed"), reviewed.text
    too_short = bureau.post(
        "/v1/publicity-batches",
        json={
            "county_code": COUNTY,
            "starts_on": "2026-11-09",
            "ends_on": "2026-11-12",
            "award_ids": [award["id"]],
        },
    )
    assert too_short.status_code == 422
    assert "publicity_5_working_days" in {e["rule"] for e in too_short.json()["errors"]}
    backdated = bureau.post(
        "/v1/publicity-batches",
        json={"county_code": COUNTY, "starts_on": "2026-11-06", "award_ids": [award["id"]]},
    )
    assert backdated.status_code == 422, backdated.text
    assert [(e["field"], e["rule"]) for e in backdated.json()["errors"]] == [
        ("starts_on", "publicity_not_backdated")
    ]
    batch = bureau.post(
        "/v1/publicity-batches",
        json={"county_code": COUNTY, "starts_on": "2026-11-09", "award_ids": [award["id"]]},
    )
    assert batch.status_code == 201, batch.text
    assert (batch.json()["ends_on"], batch.json()["working_days"]) == ("2026-11-13", 5)
    public = bureau.get(f"/v1/publicity-batches/{batch.json()['id']}/list").json()
    shown = json.dumps(public, ensure_ascii=False)
    student = bureau.get(f"/v1/students/{award['student_id']}").json()
    assert student["citizen_id"] not in shown
    assert student["name"] not in shown
    early = bureau.post(
        f"/v1/awards/{award['id']}/approval",
        json={"approved_on": "2026-11-13"},
        headers={"If-Match": etag_of(bureau, award["id"])},
    )
    assert early.status_code == 409
    assert [e["rule"] for e in early.json()["errors"]] == ["publicity_not_ended"]
    approved = bureau.post(
        f"/v1/awards/{award['id']}/approval",
        json={"approved_on": "2026-11-16", "note": "县资助中心审批"},
        headers={"If-Match": etag_of(bureau, award["id"])},
    )
    assert (approved.status_code, approved.json()["status"]) == (200, "approved"), approved.text

    # 4. disbursement: the whole amount in one batch
    paid = bureau.post(
        "/v1/disbursements",
        json={
            "county_code": COUNTY,
            "paid_on": "2026-11-20",
            "channel": "social_security_card",
            "items": [{"award_id": award["id"], "amount_yuan": award["amount_yuan"]}],
        },
    )
    assert paid.status_code == 201, paid.text
    after = bureau.get(f"/v1/awards/{award['id']}").json()
    assert (after["status"], after["paid_yuan"]) == ("paid", award["amount_yuan"])
    history = bureau.get(f"/v1/awards/{award['id']}/history").json()["items"]
    assert [h["to_status"] for h in history] == [
        "proposed",
        "reviewed",
        "in_publicity",
        "approved",
        "paid",
    ]

    # 5. a lookup, then 民政 breaks: unavailable, with the manual-evidence route to follow
    looked = bureau.post("/v1/lookups", json={"student_id": award["student_id"], **LAWFUL})
    assert looked.status_code == 200, looked.text
    assert {r["agency"]: r["status"] for r in looked.json()["results"]}["mca"] == "verified"
    httpx.put(f"{system.agency_url('mca')}/_sim/faults", json={"mode": "down"}).raise_for_status()
    try:
        fallback = bureau.post(
            "/v1/lookups",
            json={"student_id": award["student_id"], "agencies": ["mca"], **LAWFUL},
        )
        assert fallback.status_code == 200, fallback.text
        (result,) = fallback.json()["results"]
        assert (result["status"], result["manual_evidence"]) == (
            "unavailable",
            "/v1/manual-evidence",
        )
        manual = bureau.post(
            "/v1/manual-evidence",
            json={
                "student_id": award["student_id"],
                "agency": "mca",
                "category": "dibao",
                "valid_from": "2026-01-01",
                "kind": "低保证",
                "reference": "东民低保字〔2026〕0123",
                "reviewer": "王老师",
                **LAWFUL,
            },
        )
        assert manual.status_code == 201, manual.text
    finally:
        httpx.put(f"{system.agency_url('mca')}/_sim/faults", json={"mode": "ok"})

    # 6. the family's access log: every query about the child, why, on what basis, the outcome
    log = bureau.get(f"/v1/students/{award['student_id']}/access-log").json()
    outcomes = [(e["kind"], e["agency"], e["outcome"]) for e in log["entries"]]
    assert ("lookup", "mca", "unavailable") in outcomes
    assert ("manual_evidence", "mca", "manual") in outcomes
    # the job's list comparison that identified the child is a lookup of it too (issue 18 §3)
    assert any(kind == "list_match" and result == "matched" for kind, _, result in outcomes)
    assert sum(kind == "lookup" and agency == "mca" for kind, agency, _ in outcomes) == 2
    assert all(e["purpose"] == LAWFUL["purpose"] for e in log["entries"])

    # 7. the hash-chained ledger is intact
    verified = bureau.get("/v1/ledger/verify").json()
    assert verified["intact"] is True
    assert verified["entries"] >= len(log["entries"]) + 4
    assert verified["algorithm"] == profile().hash_name  # each entry chained with SM3 under 国密
