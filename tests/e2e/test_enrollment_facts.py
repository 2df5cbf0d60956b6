"""Issue 22 as a family and a clerk try it, every call through the gateway to real processes:
the demo county's intake is loaded, the county publishes a policy version whose 随迁子女 tier
asks 居住证 ≥ 12 months, a registered lease and 社保 ≥ 12 months, checked through data sharing;
a migrant family applies and, with no clerk step, its application becomes `verified` — the
family reads which agency proved what and when, and who looked the child up; with the 住建 /
不动产登记 simulator down the same kind of application waits for manual evidence and says why.

The four enrollment sources (户籍, 居住证, 不动产登记, 社保) run as simulator processes holding a
household record of each demo pupil and of the two families planted here.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from junheng_devtools.demo import load_demo_county, load_demo_enrollment
from junheng_devtools.demo_enrollment import intake_year
from junheng_devtools.system import FACT_AGENCIES, System

from junheng_kit.identifiers import citizen_id_from_body
from junheng_kit.processes import free_port
from junheng_kit.timeutil import china_today

from .walkthrough_support import bureau_token

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
DEMO = Path(__file__).resolve().parents[2] / "demo"
TODAY = china_today()
YEAR = intake_year(TODAY)
HOME = "东胜区某小区3号楼"
BORN = f"{YEAR - 7}1105"
VERIFIED_CHILD = citizen_id_from_body(f"610802{BORN}051")
WAITING_CHILD = citizen_id_from_body(f"610802{BORN}061")


def planted(citizen_id: str) -> str:
    """A 随迁子女 household: 户籍 in 榆林 (610802), 居住证 from two years before the reference
    day (31 August of the intake year), a lease registered at HOME, 社保 for two years."""
    two_years = date(YEAR - 2, 8, 1).isoformat()
    return (
        f"{citizen_id},随迁测试,610802,榆阳区某村,{two_years},{YEAR + 1}-08-01,{HOME},"
        f"{HOME},{YEAR - 1}-03-01,{YEAR + 1}-02-28,{two_years}\n"
    )


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    var = tmp_path_factory.mktemp("enrollment-facts")
    registry = var / "fact-registry.csv"
    registry.write_text(
        "citizen_id,name,hukou_county,hukou_address,permit_issued_on,permit_valid_until,"
        "permit_address,lease_address,lease_from,lease_until,social_since\n"
        + planted(VERIFIED_CHILD)
        + planted(WAITING_CHILD),
        encoding="utf-8",
    )
    running = System(
        var=var,
        gateway_port=free_port(),
        agencies=(),  # no aid agencies: enrollment's four sources only
        fact_agencies=FACT_AGENCIES,
        agency_registry=registry,
        ready_timeout=240,
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_SECOND": "1000",
            "GATEWAY_RATE_LIMIT_BURST": "2000",
            "ENROLLMENT_FACT_CHECK_INTERVAL_SECONDS": "0.5",
        },
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def bureau(system: System) -> Iterator[httpx.Client]:
    token = bureau_token(system)
    load_demo_county(system, token, DEMO / "150602-dongsheng-schools.json")
    load_demo_enrollment(system, token, DEMO / "150602-enrollment.json", today=TODAY)
    with httpx.Client(
        base_url=f"{system.gateway_url}/enrollment",
        timeout=60,
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        policy = client.get(f"/v1/priority-policies/150602/{YEAR}/primary").json()
        changed = {
            k: copy.deepcopy(policy[k])
            for k in ("source", "reference_date", "entry_age_cutoff", "tiers", "documents")
        }
        changed["effective_from"] = TODAY.isoformat()
        changed["tiers"][3]["all_of"].append({"fact": "rents_home", "op": "is", "value": True})
        changed["documents"]["migrant"] = [
            "hukou_booklet",
            "residence_permit",
            "registered_lease",
            "social_insurance",
        ]
        changed["data_sharing"] = {
            "purpose": f"{YEAR}年义务教育招生入学资格审核",
            "legal_basis": "《义务教育法》第十二条；东胜区招生入学工作方案",
        }
        published = client.put(f"/v1/priority-policies/150602/{YEAR}/primary", json=changed)
        assert published.status_code == 201, published.text
        yield client


def apply(bureau: httpx.Client, citizen_id: str) -> dict[str, Any]:
    born = citizen_id[6:14]
    response = bureau.post(
        "/v1/applications",
        json={
            "county_code": "150602",
            "year": YEAR,
            "grade": 1,
            "child": {
                "citizen_id": citizen_id,
                "name": "随迁测试",
                "birth_date": f"{born[:4]}-{born[4:6]}-{born[6:]}",
            },
            "guardian": {"name": "家长", "relation": "mother", "phone": "13900000001"},
            "household": {
                "hukou": {"county_code": "610802", "type": "rural", "address": "榆阳区某村"},
                "housing": "rented",
                "residence_permit": {"issued_on": f"{YEAR - 2}-08-01"},
                "social_insurance_months": 24,
            },
            "home": {"longitude": 109.96, "latitude": 39.81, "address": HOME},
            "choices": [],
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "submitted"  # the agencies are asked after the commit
    return dict(response.json())


def settled(bureau: httpx.Client, app_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        facts = bureau.get(f"/v1/applications/{app_id}/facts").json()
        if facts["checked_at"] is not None:
            return dict(facts)
        time.sleep(0.3)
    raise AssertionError(f"application {app_id} not checked within {timeout}s")


class TestEnrollmentFacts:
    def test_a_migrant_family_is_verified_through_data_sharing_without_a_clerk(
        self, bureau: httpx.Client
    ) -> None:
        application = apply(bureau, VERIFIED_CHILD)
        facts = settled(bureau, application["id"])
        assert facts["outcome"] == "verified", facts
        read = bureau.get(f"/v1/applications/{application['id']}").json()
        assert read["status"] == "verified"
        assert {c["status"] for c in read["checklist"]} == {"confirmed"}  # nothing to bring
        proved = {f["fact"]: f for f in read["facts"]}
        assert {f: v["agency"] for f, v in proved.items()} == {
            "migrant": "hukou",
            "residence_permit_months": "permit",
            "rents_home": "estate",
            "social_insurance_months": "social",
        }
        assert "居住证持有满 12 个月" in proved["residence_permit_months"]["proved"]
        assert all(v["checked_at"] for v in proved.values())
        # the family's access log: every lookup, its purpose and basis, who asked, the answer
        log = facts["access_log"]
        assert sorted(e["agency"] for e in log) == sorted(FACT_AGENCIES)
        assert {e["legal_basis"] for e in log} == {"《义务教育法》第十二条；东胜区招生入学工作方案"}
        history = bureau.get(f"/v1/applications/{application['id']}/history").json()["items"]
        assert [h["to_status"] for h in history if h["action"] == "status_changed"] == [
            "verifying",
            "verified",
        ]
        assert bureau.get("/v1/facts/ledger/verify").json()["intact"] is True

    def test_with_the_estate_registry_down_the_application_waits_for_manual_evidence(
        self, bureau: httpx.Client, system: System
    ) -> None:
        estate = system.agency_url("estate")
        httpx.put(f"{estate}/_sim/faults", json={"mode": "down"}).raise_for_status()
        try:
            application = apply(bureau, WAITING_CHILD)
            facts = settled(bureau, application["id"])
        finally:
            httpx.put(f"{estate}/_sim/faults", json={"mode": "ok"}).raise_for_status()
        assert facts["outcome"] == "unavailable"
        read = bureau.get(f"/v1/applications/{application['id']}").json()
        assert read["status"] == "verifying"
        assert "等待人工核验" in read["status_reason"]
        assert "rents_home" in read["status_reason"]
        lease = next(f for f in read["facts"] if f["fact"] == "rents_home")
        assert lease["status"] == "unavailable"
        checklist = {c["document"]: c["status"] for c in read["checklist"]}
        assert checklist["registered_lease"] == "not_checked"  # the clerk sees the lease
        assert checklist["residence_permit"] == "confirmed"
