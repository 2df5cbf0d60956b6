"""Issue 5's walkthrough as a new user does it, every call through the gateway to real processes:
load the demo county's intake, apply for a migrant child and with a mistyped ID, run 电脑派位 on
the verified applications, read a family's explanation, replay the run from the published
instance and seed, and see the unplaced offered a school (统筹)."""

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from junheng_devtools.demo import load_demo_county, load_demo_enrollment
from junheng_devtools.demo_enrollment import intake_year
from junheng_devtools.system import System

from junheng_kit.identifiers import citizen_id_from_body
from junheng_kit.timeutil import china_today

from .walkthrough_support import CRYPTO_PROFILES, bureau_token, running_system

pytestmark = pytest.mark.e2e
DEMO = Path(__file__).resolve().parents[2] / "demo"
TODAY = china_today()
YEAR = intake_year(TODAY)


@pytest.fixture(scope="module", params=CRYPTO_PROFILES)
def system(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[System]:
    yield from running_system(tmp_path_factory, "walkthrough", request.param)


@pytest.fixture(scope="module")
def bureau(system: System) -> Iterator[httpx.Client]:
    token = bureau_token(system)
    load_demo_county(system, token, DEMO / "150602-dongsheng-schools.json")
    loaded = load_demo_enrollment(system, token, DEMO / "150602-enrollment.json", today=TODAY)
    assert loaded == {"year": YEAR, "applications": 60, "loaded": True}
    # a second `make run` finds the intake there and adds nothing
    again = load_demo_enrollment(system, token, DEMO / "150602-enrollment.json", today=TODAY)
    assert again["loaded"] is False
    with httpx.Client(
        base_url=f"{system.gateway_url}/enrollment",
        timeout=60,
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


def migrant_child(body17_serial: str, *, permit_months: int) -> dict[str, Any]:
    born = f"{YEAR - 7}1105"  # 6 by 31 August of the intake year
    return {
        "county_code": "150602",
        "year": YEAR,
        "grade": 1,
        "child": {
            "citizen_id": citizen_id_from_body(f"610802{born}{body17_serial}"),
            "name": "随迁测试",
            "birth_date": f"{born[:4]}-{born[4:6]}-{born[6:]}",
        },
        "guardian": {"name": "家长", "relation": "mother", "phone": "13900000001"},
        "household": {
            "hukou": {"county_code": "610802", "type": "rural", "address": "榆阳区某村"},
            "housing": "rented",
            "residence_permit": {
                "issued_on": (TODAY - timedelta(days=permit_months * 31)).isoformat()
            },
            "social_insurance_months": permit_months,
        },
        "home": {"longitude": 109.96, "latitude": 39.81, "address": "东胜区某小区"},  # DS-P02
        "choices": [],
    }


class TestEnrollmentWalkthrough:
    def test_a_mistyped_citizen_id_is_refused_naming_the_field_and_rule(
        self, bureau: httpx.Client
    ) -> None:
        body = migrant_child("031", permit_months=24)
        good = body["child"]["citizen_id"]
        body["child"]["citizen_id"] = good[:-1] + ("0" if good[-1] != "0" else "1")
        response = bureau.post("/v1/applications", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        errors = response.json()["errors"]
        assert {"field": "child.citizen_id", "rule": "citizen_id_check_digit"} in [
            {"field": e["field"], "rule": e["rule"]} for e in errors
        ]
        assert good not in response.text  # the ID is not echoed back

    def test_the_same_refusal_in_chinese_by_default_and_english_on_request(
        self, bureau: httpx.Client
    ) -> None:
        """Issue 18 item 4 through the gateway: the caller's Accept-Language picks the words, the
        rule id stays; the service's Content-Language and Vary reach the caller."""
        body = migrant_child("032", permit_months=24)
        good = body["child"]["citizen_id"]
        body["child"]["citizen_id"] = good[:-1] + ("0" if good[-1] != "0" else "1")
        chinese = bureau.post("/v1/applications", json=body)
        english = bureau.post("/v1/applications", json=body, headers={"Accept-Language": "en"})

        def check_digit(response: httpx.Response) -> dict[str, str]:
            assert response.status_code == 422
            [error] = [e for e in response.json()["errors"] if e["field"] == "child.citizen_id"]
            return dict(error)

        zh, en = check_digit(chinese), check_digit(english)
        assert zh["rule"] == en["rule"] == "citizen_id_check_digit"
        assert zh["message"] == "校验码不符合 GB 11643-1999 MOD 11-2"
        assert en["message"] == "the check character does not match GB 11643-1999 MOD 11-2"
        assert chinese.json()["title"] == "请求不符合接口定义"
        assert english.json()["title"] == "Request does not match the schema"
        assert (chinese.headers["content-language"], english.headers["content-language"]) == (
            "zh",
            "en",
        )
        assert "Accept-Language" in english.headers["vary"]

    def test_a_migrant_child_is_reviewed_on_the_migrant_checklist(
        self, bureau: httpx.Client
    ) -> None:
        created = bureau.post("/v1/applications", json=migrant_child("041", permit_months=24))
        assert created.status_code == 201, created.text
        application = created.json()
        documents = {item["document"] for item in application["checklist"]}
        assert {"residence_permit", "social_insurance"} <= documents
        path = f"/v1/applications/{application['id']}"
        assert bureau.post(f"{path}/transitions", json={"to": "verifying"}).status_code == 200
        refused = bureau.post(f"{path}/transitions", json={"to": "verified"})
        assert refused.status_code == 422  # nothing confirmed yet
        assert {e["field"] for e in refused.json()["errors"]} >= {
            f"checklist.{d}" for d in documents
        }
        for document in documents:
            confirmed = bureau.put(
                f"{path}/verifications/{document}",
                json={"result": "confirmed", "source": "窗口核验"},
            )
            assert confirmed.status_code == 200, confirmed.text
        assert bureau.post(f"{path}/transitions", json={"to": "verified"}).status_code == 200
        priorities = bureau.get(f"{path}/priorities").json()
        assert json.dumps(priorities, ensure_ascii=False).count("随迁子女") >= 1

    def test_the_run_explains_itself_and_replays_byte_for_byte(self, bureau: httpx.Client) -> None:
        run = bureau.post(
            "/v1/assignment-runs",
            json={
                "county_code": "150602",
                "year": YEAR,
                "level": "primary",
                "seed": f"{YEAR}-东胜区-公证处-0731",
                "mechanism": "deferred_acceptance",
                "tie_breaking": "single",
            },
        )
        assert run.status_code == 201, run.text
        result = run.json()
        assignments = result["assignments"]
        assert len(assignments) == 61  # 60 demo families and the migrant child
        placed = [code for code in assignments.values() if code is not None]
        assert len(placed) <= 60  # the seat plans hold 60 places
        # DS-P01 has 24 families for 20 places: someone there is refused a school they ranked
        explained = {app: reasons for app, reasons in result["explanations"].items() if reasons}
        assert explained
        reasons = next(iter(explained.values()))
        known = {
            "not_eligible",
            "no_seats",
            "full_in_earlier_round",
            "tier_below_cutoff",
            "lottery_worse_than_cutoff",
        }
        assert all(r["reason"] in known for r in reasons), reasons

        instance = bureau.get(f"/v1/assignment-runs/{result['id']}/instance")
        assert instance.status_code == 200
        replay = bureau.post(
            "/v1/assignment-runs",
            content=instance.content,
            headers={"Content-Type": "application/json"},
        )
        assert replay.status_code == 201, replay.text
        assert replay.text.replace(replay.json()["id"], "") == run.text.replace(result["id"], "")

        overflow = bureau.get(f"/v1/assignment-runs/{result['id']}/overflow")
        assert overflow.status_code == 200, overflow.text

    def test_the_demo_registry_carries_the_national_codes(self, bureau: httpx.Client) -> None:
        """Issue 19: the demo's schools come with 办学类型, 城乡分类代码, 统计用区划代码 and
        办学性质; the county's 民办 share counts confirmed admissions (none confirmed here)."""
        school = bureau.get("/v1/schools/3415060001").json()
        assert (school["school_type"], school["school_type_label"]) == ("341", "完全中学")
        assert (school["ownership"], school["ownership_label"]) == ("private", "民办")
        assert school["division_code"].startswith("150602")
        share = bureau.get("/v1/counties/150602/private-share", params={"year": YEAR})
        assert share.status_code == 200, share.text
        assert (share.json()["pupils"]["total"], share.json()["cap_status"]) == (0, "no_pupils")


class TestFamilyReadPath:
    """Issue 18 §3 through the gateway: the bureau confirms a run's admissions; a family app
    (enrollment:read, no enrollment:pii) reads `admitted` with the school, polls with
    If-None-Match and gets 304, and reads its own explanation in Chinese and English."""

    def test_a_family_reads_admitted_with_its_school_and_its_explanation(
        self, system: System, bureau: httpx.Client
    ) -> None:
        seed = f"{YEAR}-东胜区-录取"
        run = bureau.post(
            "/v1/assignment-runs",
            json={
                "county_code": "150602",
                "year": YEAR,
                "level": "primary",
                "seed": seed,
                "mechanism": "deferred_acceptance",
                "tie_breaking": "single",
            },
        )
        assert run.status_code == 201, run.text
        result = run.json()
        # a family the run placed below a school it ranked higher (DS-P01 is oversubscribed)
        family = next(
            app
            for app, reasons in result["explanations"].items()
            if reasons and result["assignments"][app] is not None
        )
        school = result["assignments"][family]
        confirmed = bureau.post(f"/v1/assignment-runs/{result['id']}/admissions", json={})
        assert confirmed.status_code == 201, confirmed.text

        credentials = system.register_client(
            name="家长端 family app", scopes=["enrollment:read"], jurisdiction=["150602"]
        )
        with httpx.Client(
            base_url=f"{system.gateway_url}/enrollment",
            timeout=60,
            headers={"Authorization": f"Bearer {system.token(credentials)}"},
        ) as app:
            status = app.get(f"/v1/applications/{family}")
            assert status.status_code == 200, status.text
            answer = status.json()
            assert answer["status"] == "admitted"
            assert (answer["admission"]["school_code"], answer["admission"]["via"]) == (
                school,
                "lottery",
            )
            assert answer["admission"]["school_name"]
            assert "*" in answer["child"]["citizen_id"]  # no enrollment:pii: masked
            unchanged = app.get(
                f"/v1/applications/{family}", headers={"If-None-Match": status.headers["etag"]}
            )
            assert (unchanged.status_code, unchanged.content) == (304, b"")

            explanation = app.get(f"/v1/applications/{family}/explanation")
            assert explanation.status_code == 200, explanation.text
            mine = explanation.json()
            lottery = hashlib.sha256(f"{seed}:{family}".encode()).hexdigest()
            assert (mine["school_code"], mine["lottery"], mine["run_id"]) == (
                school,
                lottery,
                result["id"],
            )
            above = mine["ranked_above"]
            assert [s["school_code"] for s in above] == [
                e["school_code"] for e in result["explanations"][family]
            ]
            assert all(r["zh"] and r["en"] for s in above for r in s["reasons"])
