"""County scope rules over HTTP and their effect on POST /v1/assessments, on both databases."""

from typing import Any

import pytest
from httpx import AsyncClient

from evaluation.scope.rules import SPECIAL_EDUCATION_REASON
from junheng_kit.testing.plugin import TokenFactory, auth

RULES = "/v1/counties/150602/scope-rules"
NINE_YEAR = "2115060009"
WEIGHTS = {
    "effective_from": "2025-09-01",
    "citation": "东胜区优质均衡评估细则（2025）第三条",
    "weights": {"nine_year": {"primary": "1", "junior": "1.1"}},
}


def assess(schools: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"county_code": "150602", "year": 2025, "schools": schools, **extra}


class TestSetRules:
    async def test_a_version_is_stored_and_listed_in_force(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{RULES}/combined_school_weights", json=WEIGHTS, headers=writer
        )

        assert response.status_code == 200
        assert response.json()["value"] == {"nine_year": {"primary": "1", "junior": "1.1"}}
        before = await client.get(RULES, params={"on": "2025-08-31"}, headers=writer)
        during = await client.get(RULES, params={"on": "2026-03-01"}, headers=writer)
        assert before.json()["rules"] == []
        assert [r["key"] for r in during.json()["rules"]] == ["combined_school_weights"]

    async def test_a_rule_without_its_value_is_422_naming_the_field(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        body = {"effective_from": "2025-09-01", "citation": "细则"}

        response = await client.put(f"{RULES}/min_pupils_teaching_point", json=body, headers=writer)

        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "min_pupils",
            "rule": "scope_value_required",
            "message": "min_pupils_teaching_point",
        }

    async def test_an_unknown_rule_is_404_and_another_county_403(
        self, client: AsyncClient, writer: dict[str, str], token: TokenFactory
    ) -> None:
        unknown = await client.put(f"{RULES}/national_default", json=WEIGHTS, headers=writer)
        tongyu = auth(token("evaluation:read", "evaluation:write", jurisdiction=("220822",)))
        foreign = await client.put(f"{RULES}/combined_school_weights", json=WEIGHTS, headers=tongyu)

        assert unknown.status_code == 404
        assert foreign.status_code == 403


class TestAssessmentUnderScopeRules:
    async def test_without_county_rules_the_answer_keeps_its_exact_shape(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        plain = await client.post("/v1/assessments", json=assess(county), headers=writer)
        flagged = [{**county[2], "teaching_point": True}, *county[:2], county[3]]
        marked = await client.post("/v1/assessments", json=assess(flagged), headers=writer)

        assert set(plain.json()) == {
            "id", "county_code", "year", "schools", "cv", "resource_allocation",
            "inputs_sha256", "catalogue_version",
        }  # fmt: skip
        assert marked.json()["inputs_sha256"] == plain.json()["inputs_sha256"]
        assert set(marked.json()) == set(plain.json())

    async def test_a_special_education_school_is_excluded_and_listed_without_county_rules(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        county: list[dict[str, Any]],
        section: Any,
    ) -> None:
        plain = (await client.post("/v1/assessments", json=assess(county), headers=writer)).json()
        special = {
            **section("2115060040", "primary", 80, 12, 2, 3, 900, 1200, 3e5, 4),
            "special_education": True,
        }
        response = await client.post(
            "/v1/assessments", json=assess([*county, special]), headers=writer
        )

        assert response.status_code == 201, response.text
        body = response.json()
        # assessed as if it had not been sent: same sections, CVs and inputs hash
        for key in ("schools", "cv", "resource_allocation", "inputs_sha256"):
            assert body[key] == plain[key]
        assert body["excluded"] == [
            {
                "school_code": "2115060040",
                "level": "primary",
                "name": special["name"],
                "students": 80,
                "rule": "special_education_school",
                "reason": SPECIAL_EDUCATION_REASON,
            }
        ]
        assert body["scope"] == {"rules": [], "shared_splits": []}

    async def test_shared_resources_without_county_weights_are_422_and_store_nothing(
        self, client: AsyncClient, writer: dict[str, str], section: Any
    ) -> None:
        schools = [
            section(NINE_YEAR, "primary", 500, 25, 5, 5, 2000, 4000, 1e6, 12),
            section(NINE_YEAR, "junior", 500, 27, 5, 5, 2350, 5100, 1.25e6, 12),
        ]
        shared = [
            {"school_code": NINE_YEAR, "kind": "nine_year", "teaching_auxiliary_area_m2": 1050}
        ]

        response = await client.post(
            "/v1/assessments", json=assess(schools, shared_resources=shared), headers=writer
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "combined_school_weights_unset"
        trends = await client.get("/v1/counties/150602/trends", headers=writer)
        assert trends.json()["years"] == []

    async def test_a_nine_year_school_gets_its_weighted_share_and_teaching_points_are_excluded(
        self, client: AsyncClient, writer: dict[str, str], section: Any
    ) -> None:
        await client.put(f"{RULES}/combined_school_weights", json=WEIGHTS, headers=writer)
        minimum = {"effective_from": "2025-09-01", "citation": "细则第二条", "min_pupils": 50}
        await client.put(f"{RULES}/min_pupils_teaching_point", json=minimum, headers=writer)
        # A = 500 primary, B = 500 junior, S = 1050 m² shared teaching rooms:
        # primary S·A/(A + 1.1B) = 1050·500/1050 = 500 m² → (2000 + 500)/500 = 5.0 m² per pupil;
        # junior 1050·550/1050 = 550 m² → (2350 + 550)/500 = 5.8 m² per pupil
        schools = [
            section(NINE_YEAR, "primary", 500, 25, 5, 5, 2000, 4000, 1e6, 12),
            section(NINE_YEAR, "junior", 500, 27, 5, 5, 2350, 5100, 1.25e6, 12),
            {
                **section("2115060030", "primary", 30, 1, 0, 0, 90, 200, 6e4, 1),
                "teaching_point": True,
            },
        ]
        shared = [
            {"school_code": NINE_YEAR, "kind": "nine_year", "teaching_auxiliary_area_m2": 1050}
        ]

        response = await client.post(
            "/v1/assessments", json=assess(schools, shared_resources=shared), headers=writer
        )

        assert response.status_code == 201
        body = response.json()
        area = {
            s["level"]: s["indicators"]["teaching_area_per_student"]["value"]
            for s in body["schools"]
        }
        assert area == {"primary": pytest.approx(5.0), "junior": pytest.approx(5.8)}
        assert [s["school_code"] for s in body["schools"]] == [NINE_YEAR, NINE_YEAR]
        assert body["excluded"] == [
            {
                "school_code": "2115060030",
                "level": "primary",
                "name": "学校30",
                "students": 30,
                "rule": "min_pupils_teaching_point",
                "reason": "教学点 30 人 < 50 人（细则第二条）",
            }
        ]
        assert [r["citation"] for r in body["scope"]["rules"]] == [
            WEIGHTS["citation"],
            "细则第二条",
        ]
        assert body["scope"]["shared_splits"][0]["shares"] == {
            "primary": pytest.approx(500 / 1050),
            "junior": pytest.approx(550 / 1050),
        }
        stored = await client.get(f"/v1/assessments/{body['id']}", headers=writer)
        assert stored.json() == body
