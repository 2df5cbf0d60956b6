"""Issue 6's walkthrough as a new user does it, every call through the gateway to real processes:
register a county's schools in enrollment, import its teachers from an XLSX sheet (with the
principal and the 教师资格证), list the teachers without a certificate, see 超编/缺编, set the
county's own condition for the rotation pool, generate a 交流轮岗 plan that meets the 10 %/20 %
rules and says who of seed 000's priority teachers move, confirm it (If-Match), approve and
execute it, and watch evaluation's teacher indicators of the receiving schools change."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from junheng_devtools.system import System

from junheng_kit.identifiers import citizen_id_from_body
from junheng_kit.tabular import XLSX, write_xlsx
from junheng_kit.timeutil import china_today
from staffing.teachers.sheet import COLUMNS

from .walkthrough_support import CRYPTO_PROFILES, bureau_token, running_system

pytestmark = pytest.mark.e2e
TODAY = china_today()
YEAR = TODAY.year if TODAY.month >= 9 else TODAY.year - 1
URBAN, RURAL_1, RURAL_2 = "2115067001", "2115067002", "2115067003"
RETIREMENT = {"retirement_window_years": 5, "retirement_age_male": 60, "retirement_age_female": 55}


def wait_until(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"not reached within {timeout}s; last {last!r}")


@pytest.fixture(scope="module", params=CRYPTO_PROFILES)
def system(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[System]:
    yield from running_system(tmp_path_factory, "staffing-walkthrough", request.param)


@pytest.fixture(scope="module")
def bureau(system: System) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=system.gateway_url,
        timeout=60,
        headers={"Authorization": f"Bearer {bureau_token(system)}"},
    ) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def teacher_row(number: int, school: str, joined: str, **cells: Any) -> list[Any]:
    values = {
        "citizen_id": citizen_id_from_body(f"15060219850301{number:03d}"),
        "name": f"教师{number}",
        "gender": None,
        "birth_date": "1985-03-01",
        "school_code": school,
        "section": "小学",
        "school_joined_on": joined,
        "post_type": "专任",
        "subjects": "语文",
        "title": "一级",
        "degree": "本科",
        "backbone_level": None,
        "staffing_status": "在编",
        "hire_date": "2008-09-01",
        "status": "在职",
        "leadership_post": None,
        "teacher_qualification_type": "小学",
        "teacher_qualification_number": f"2010150{number:010d}",
        "teacher_qualification_subject": "语文",
        "rural_service": None,
        **cells,
    }
    return [values[c.field] for c in COLUMNS]


def sheet() -> bytes:
    """URBAN: ten teachers there since 2012 (eligible), two of them county backbone, one PE,
    teacher 3 the principal, each with a 小学 教师资格证. Each rural school: one 中专 teacher who
    arrived a year ago, no certificate recorded."""
    rows = [
        teacher_row(
            i,
            URBAN,
            "2012-09-01",
            backbone_level="县级" if i < 3 else None,
            leadership_post="校长" if i == 3 else None,
        )
        for i in range(1, 11)
    ]
    rows[9] = teacher_row(
        10, URBAN, "2012-09-01", subjects="体育", teacher_qualification_subject="体育"
    )
    uncertified = dict.fromkeys(
        (
            "teacher_qualification_type",
            "teacher_qualification_number",
            "teacher_qualification_subject",
        )
    )
    arrived = f"{YEAR - 1}-09-01"
    rows.append(teacher_row(11, RURAL_1, arrived, degree="中专", **uncertified))
    rows.append(teacher_row(13, RURAL_2, arrived, degree="中专", **uncertified))
    return write_xlsx(COLUMNS, rows, "教师信息")


def evaluation_stats(bureau: httpx.Client, school: str) -> dict[str, Any] | None:
    response = bureau.get(f"/evaluation/v1/schools/{school}/teacher-stats")
    return response.json() if response.status_code == 200 else None


def primary(stats: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in stats["sections"] if s["level"] == "primary")


class TestStaffingWalkthrough:
    def test_from_a_teacher_sheet_to_changed_evaluation_indicators(
        self, bureau: httpx.Client
    ) -> None:
        names = {URBAN: "东胜区实验小学", RURAL_1: "某嘎查小学", RURAL_2: "某村小学"}
        for code, name in names.items():
            ok(
                bureau.post(
                    "/enrollment/v1/schools",
                    json={
                        "school_code": code,
                        "name": name,
                        "levels": ["primary"],
                        "county_code": "150602",
                        "location": {"longitude": 109.99, "latitude": 39.82},
                        "planned_capacity": 600,
                    },
                ),
                201,
            )
        wait_until(lambda: bureau.get(f"/staffing/v1/schools/{RURAL_2}").status_code == 200)

        imported = ok(
            bureau.post(
                "/staffing/v1/teacher-imports", content=sheet(), headers={"Content-Type": XLSX}
            ),
            201,
        )
        assert (imported["rows"], imported["registered"]) == (12, 12)
        # seed 000: 教师必须取得相应教师资格证后,方可持证上岗任教 — the two rural teachers are
        # recorded, and listed for the bureau to follow up
        uncertified = ok(
            bureau.get(
                "/staffing/v1/teachers",
                params={"county_code": "150602", "flag": "no_teacher_qualification"},
            )
        )
        assert sorted(t["school_code"] for t in uncertified["items"]) == [RURAL_1, RURAL_2]
        before = wait_until(lambda: evaluation_stats(bureau, RURAL_1))
        assert primary(before)["full_time_teachers"] == 1
        assert primary(before)["teachers_above_required_degree"] == 0

        ok(
            bureau.put(
                "/staffing/v1/counties/150602/enrolment",
                json={
                    "year": YEAR,
                    "schools": [
                        {"school_code": URBAN, "area": "urban", "primary_pupils": 190},
                        {"school_code": RURAL_1, "area": "rural", "primary_pupils": 100},
                        {"school_code": RURAL_2, "area": "rural", "primary_pupils": 100},
                    ],
                },
            ),
            204,
        )
        ok(
            bureau.post(
                "/staffing/v1/counties/150602/quota-ledger",
                json={
                    "year": YEAR,
                    "kind": "approval",
                    "reason": "编制核定",
                    "entries": [
                        {"school_code": URBAN, "approved_posts": 10},
                        {"school_code": RURAL_1, "approved_posts": 6},
                        {"school_code": RURAL_2, "approved_posts": 6},
                    ],
                },
            ),
            201,
        )
        # Inner Mongolia combines 生师比 with 班师比 and leaves the values to the county (seed
        # 000): until Dongsheng sets them, quotas are 422 naming what it must set
        refused = bureau.get("/staffing/v1/counties/150602/quotas", params={"year": YEAR})
        assert refused.status_code == 422
        assert {e["field"] for e in refused.json()["errors"]} == {
            "quota_method",
            "class_staff_ratio.primary",
        }
        for key, value, qualifier in (
            ("quota_method", "max", ""),
            ("class_staff_ratio", "2.6", "primary"),
        ):
            ok(
                bureau.post(
                    "/staffing/v1/counties/150602/policy-parameters",
                    json={
                        "key": key,
                        "qualifier": qualifier,
                        "value": value,
                        "effective_from": "2020-01-01",
                        "source": "东胜区编办（测试值）",
                    },
                ),
                201,
            )
        quotas = ok(bureau.get("/staffing/v1/counties/150602/quotas", params={"year": YEAR}))
        by_school = {s["school_code"]: s for s in quotas["schools"]}
        # no classes entered: max(190 ÷ 19 = 10, 0) = 10 required at URBAN; max(100 ÷ 19 = 5.26,
        # 0) → 6 at each rural school
        assert (by_school[URBAN]["required"], by_school[URBAN]["status"]) == (10, "balanced")
        assert (by_school[RURAL_1]["required"], by_school[RURAL_1]["vacant_posts"]) == (6, 5)

        # who may rotate is the county's own condition: seed 000's 6 years only say who goes
        # first, so until Dongsheng sets its condition the plan is 422 naming it
        plan_request = {"year": YEAR, "target_count": 2, "parameters": RETIREMENT}
        refused = bureau.post("/staffing/v1/counties/150602/rotation-plans", json=plan_request)
        assert refused.status_code == 422
        assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [
            ("parameters.trigger_years", "rotation_trigger_years_required")
        ]
        ok(
            bureau.post(
                "/staffing/v1/counties/150602/policy-parameters",
                json={
                    "key": "rotation_trigger_years",
                    "value": "3",
                    "effective_from": "2020-01-01",
                    "source": "东胜区交流条件（演示值，非官方数据）",
                },
            ),
            201,
        )
        plan = ok(
            bureau.post("/staffing/v1/counties/150602/rotation-plans", json=plan_request), 201
        )
        assert (plan["pool"]["eligible"], plan["required_rotated"]) == (10, 1)
        assert (plan["quota_rules_met"], plan["rotated"]) == (True, 2)
        receiving = {m["to_school"] for m in plan["moves"]}
        assert receiving <= {RURAL_1, RURAL_2}
        # the two backbone teachers and the principal have 6 years and more at URBAN (seed 000,
        # scope 15): the PE teacher (most gain) and one backbone teacher move
        assert plan["priority"] == {"years": 6, "pool": 3, "moved": 1, "exceptions": []}
        assert sorted(m["is_priority"] for m in plan["moves"]) == [False, True]

        version = plan["version"]
        for school in plan["awaiting_confirmation"]:
            confirmed = bureau.post(
                f"/staffing/v1/rotation-plans/{plan['id']}/confirmations",
                json={"school_code": school, "signatory": "校长"},
                headers={"If-Match": f'"{version}"'},
            )
            ok(confirmed, 201)
            version = int(confirmed.headers["etag"].strip('"'))
        approved = bureau.post(
            f"/staffing/v1/rotation-plans/{plan['id']}/approval",
            json={},
            headers={"If-Match": f'"{version}"'},
        )
        assert ok(approved)["status"] == "approved"
        executed = bureau.post(
            f"/staffing/v1/rotation-plans/{plan['id']}/execution",
            json={"moved_on": TODAY.isoformat()},
            headers={"If-Match": approved.headers["etag"]},
        )
        assert ok(executed)["status"] == "executed"
        adherence = ok(bureau.get(f"/staffing/v1/rotation-plans/{plan['id']}/adherence"))
        assert (adherence["executed"], adherence["as_planned"]) == (2, 2)
        assert adherence["executed_backbone"] >= 1

        arrivals = {code: sum(m["to_school"] == code for m in plan["moves"]) for code in receiving}
        for code, count in arrivals.items():
            after = wait_until(
                lambda c=code, n=count: (
                    (s := evaluation_stats(bureau, c))
                    and primary(s)["full_time_teachers"] == 1 + n
                    and s
                )
            )
            # every arrival holds a 本科, above the 专科 required of primary teachers
            assert primary(after)["teachers_above_required_degree"] == count
        backbone = sum(
            primary(evaluation_stats(bureau, code) or {"sections": []})["backbone_teachers"]
            for code in receiving
        )
        assert backbone == adherence["executed_backbone"]
