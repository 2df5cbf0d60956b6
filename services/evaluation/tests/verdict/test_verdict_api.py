"""PUT the verdict inputs and GET the county verdict, on SQLite and PostgreSQL."""

from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.verdict.catalogue import NATIONAL_2017
from evaluation.verdict.models import VerdictItemInput
from junheng_kit.testing.plugin import TokenFactory, auth

BASE = "/v1/counties/150602/years/2025"
EVIDENCE = [{"title": "督导自评报告", "reference": "东教督〔2025〕3号"}]


ROTATION_SHORT = {"eligible_teachers": 100, "rotated_teachers": 12, "backbone_rotated": 2}


def review(**body: Any) -> dict[str, Any]:
    return {"measured": None, "finding": "met", "evidence": EVIDENCE, "reviewer": "李审核"} | body


async def store_everything(
    client: AsyncClient, headers: dict[str, str], *, schools: list[dict[str, Any]]
) -> None:
    response = await client.post(
        "/v1/assessments",
        json={"county_code": "150602", "year": 2025, "schools": schools},
        headers=headers,
    )
    assert response.status_code == 201
    for spec in NATIONAL_2017.items:
        response = await client.put(f"{BASE}/items/{spec.key}", json=review(), headers=headers)
        assert response.status_code == 200, response.json()
    response = await client.put(
        f"{BASE}/recognition",
        json={"groups": [{"group": "parents", "respondents": 1000, "satisfied": 850}]},
        headers=headers,
    )
    assert response.status_code == 200
    response = await client.put(
        f"{BASE}/eligibility", json={"basic_balance_recognised_year": 2022}, headers=headers
    )
    assert response.status_code == 200


class TestPutItem:
    async def test_answers_the_evaluation_with_the_gap_in_teachers(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{BASE}/items/rotation_share", json=review(measured=ROTATION_SHORT), headers=writer
        )

        assert response.status_code == 200
        body = response.json()
        assert (body["key"], body["part"], body["met"], body["basis"]) == (
            "rotation_share",
            "government_assurance",
            False,
            "measured",
        )
        assert body["threshold"] == {"rotated_share": "0.10", "backbone_share": "0.20"}
        assert body["gap"] == {"backbone_share": "1"}  # ceil(0.20 × 12) − 2 teachers
        backbone = body["criteria"][1]
        assert (backbone["value"], backbone["gap"], backbone["missing_unit"]) == (
            "0.166667",
            "0.033333",
            "teachers",
        )
        assert body["finding_overridden"] is True  # "met" was sent; the numbers decided
        assert body["evidence"] == EVIDENCE

    async def test_a_second_put_replaces_the_first(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        await client.put(
            f"{BASE}/items/rotation_share", json=review(measured=ROTATION_SHORT), headers=writer
        )
        fixed = ROTATION_SHORT | {"backbone_rotated": 3}
        response = await client.put(
            f"{BASE}/items/rotation_share", json=review(measured=fixed), headers=writer
        )

        assert response.json()["met"] is True
        count = await session.scalar(select(func.count()).select_from(VerdictItemInput))
        assert count == 1

    async def test_an_unknown_key_is_404(self, client: AsyncClient, writer: dict[str, str]) -> None:
        response = await client.put(f"{BASE}/items/school_uniforms", json=review(), headers=writer)

        assert response.status_code == 404
        assert response.json()["type"] == "urn:junheng:problem:not-found"

    async def test_missing_evidence_is_422_evidence_required(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{BASE}/items/full_curriculum", json=review(evidence=[]), headers=writer
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("evidence", "evidence_required")
        ]

    async def test_a_qualitative_item_with_measured_values_is_422(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{BASE}/items/full_curriculum", json=review(measured={"subjects": 12}), headers=writer
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("measured", "qualitative_item")
        ]

    async def test_another_county_is_403(self, client: AsyncClient, writer: dict[str, str]) -> None:
        response = await client.put(
            "/v1/counties/150603/years/2025/items/full_curriculum", json=review(), headers=writer
        )

        assert response.status_code == 403
        assert response.json()["errors"][0]["rule"] == "jurisdiction"

    async def test_reading_scope_cannot_write(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.put(
            f"{BASE}/items/full_curriculum",
            json=review(),
            headers=auth(token("evaluation:read")),
        )

        assert response.status_code == 403


class TestPutRecognitionAndEligibility:
    async def test_a_weighted_survey_is_judged_on_the_weighted_rate(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        # 0.4×0.9 + 0.3×0.8 + 0.2×0.9 + 0.1×0.8 = 0.86 ≥ 0.85; target 0.95 not reached
        response = await client.put(
            f"{BASE}/recognition",
            json={
                "groups": [
                    {"group": "students", "respondents": 100, "satisfied": 90},
                    {"group": "parents", "respondents": 200, "satisfied": 160},
                    {"group": "teachers", "respondents": 50, "satisfied": 45},
                    {"group": "public", "respondents": 100, "satisfied": 80},
                ],
                "weights": {"students": 0.4, "parents": 0.3, "teachers": 0.2, "public": 0.1},
                "local_target": "0.95",
            },
            headers=writer,
        )

        assert response.status_code == 200
        assert response.json()["social_recognition"] == {
            "met": True,
            "rate": "0.86",
            "method": "weighted",
            "threshold": "0.85",
            "local_target": "0.95",
            "met_local_target": False,
        }

    async def test_weights_not_summing_to_one_are_named(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{BASE}/recognition",
            json={
                "groups": [
                    {"group": "students", "respondents": 100, "satisfied": 90},
                    {"group": "parents", "respondents": 100, "satisfied": 90},
                ],
                "weights": {"students": 0.5, "parents": 0.4},
            },
            headers=writer,
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("weights", "weights_sum_to_one")
        ]

    async def test_more_satisfied_than_respondents_is_named(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{BASE}/recognition",
            json={"groups": [{"group": "students", "respondents": 100, "satisfied": 101}]},
            headers=writer,
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("groups[0].satisfied", "satisfied_within_respondents")
        ]

    async def test_eligibility_2023_for_2025_is_not_met(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{BASE}/eligibility",
            json={
                "basic_balance_recognised_year": 2023,
                "vetoes": [{"kind": "key_schools_or_classes", "evidence": "实验班按成绩分班"}],
            },
            headers=writer,
        )

        assert response.status_code == 200
        body = response.json()
        assert body["eligibility"] == {
            "met": False,
            "basic_balance_recognised_year": 2023,
            "years_since": 2,
            "required_years": 3,
        }
        assert body["vetoes"] == [
            {"kind": "key_schools_or_classes", "evidence": "实验班按成绩分班", "derived": False}
        ]

    async def test_an_unknown_veto_kind_is_named(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            f"{BASE}/eligibility",
            json={
                "basic_balance_recognised_year": 2020,
                "vetoes": [{"kind": "falsification", "evidence": "x"}],
            },
            headers=writer,
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "vetoes.0.kind"


class TestCountyVerdict:
    async def test_nothing_stored_is_incomplete_and_lists_what_is_missing(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.get(f"{BASE}/verdict", headers=writer)

        assert response.status_code == 200
        body = response.json()
        assert body["verdict"] == "incomplete"
        assert body["assessment_id"] is None
        assert body["missing"] == [
            "assessment",
            *(f"items.{spec.key}" for spec in NATIONAL_2017.items),
            "recognition",
            "eligibility",
        ]
        assert body["parts"]["social_recognition"]["met"] is None
        assert body["failing_items"] == []

    async def test_a_failing_school_and_item_give_not_met_with_shortfalls(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_everything(client, writer, schools=county)
        await client.put(
            f"{BASE}/items/rotation_share", json=review(measured=ROTATION_SHORT), headers=writer
        )

        response = await client.get(f"{BASE}/verdict", headers=writer)

        body = response.json()
        assert (body["verdict"], body["missing"]) == ("not_met", [])
        resource = body["parts"]["resource_allocation"]
        assert resource["met"] is False
        assert resource["failing_schools"] == [
            {
                "school_code": "2115060003",
                "level": "primary",
                "indicators": [
                    {  # ceil(4.2 × 300 / 100) − 12 = 13 − 12
                        "key": "senior_degree_teachers_per_100",
                        "value": 4.0,
                        "threshold": "4.2",
                        "floor": "3.57",
                        "shortfall": "1",
                        "unit": "teachers",
                    },
                    {  # 4.5 × 300 − 1200
                        "key": "teaching_area_per_student",
                        "value": 4.0,
                        "threshold": "4.5",
                        "floor": "3.825",
                        "shortfall": "150",
                        "unit": "m2",
                    },
                ],
            }
        ]
        assurance = body["parts"]["government_assurance"]
        assert (assurance["met"], [i["key"] for i in assurance["failing"]]) == (
            False,
            ["rotation_share"],
        )
        assert body["parts"]["education_quality"] == {"met": True, "failing": [], "missing": []}
        assert body["parts"]["social_recognition"]["rate"] == "0.85"  # 850/1000, inclusive
        assert body["parts"]["eligibility"]["met"] is True
        assert [
            (f["part"], f["key"], f["school_code"], f["gap"], f["unit"])
            for f in body["failing_items"]
        ] == [
            (
                "resource_allocation",
                "senior_degree_teachers_per_100",
                "2115060003",
                "1",
                "teachers",
            ),
            ("resource_allocation", "teaching_area_per_student", "2115060003", "150", "m2"),
            ("government_assurance", "rotation_share.backbone_share", None, "1", "teachers"),
        ]

    async def test_every_part_met_is_met(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_everything(client, writer, schools=[county[0], county[1], county[3]])

        body = (await client.get(f"{BASE}/verdict", headers=writer)).json()

        assert (body["verdict"], body["failing_items"], body["parts"]["vetoes"]) == ("met", [], [])

    async def test_a_veto_fails_an_otherwise_met_county(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_everything(client, writer, schools=[county[0], county[1], county[3]])
        await client.put(
            f"{BASE}/eligibility",
            json={
                "basic_balance_recognised_year": 2022,
                "vetoes": [{"kind": "admission_by_exam", "evidence": "初一入学考试"}],
            },
            headers=writer,
        )

        body = (await client.get(f"{BASE}/verdict", headers=writer)).json()

        assert body["verdict"] == "not_met"
        assert [(f["part"], f["key"]) for f in body["failing_items"]] == [
            ("vetoes", "admission_by_exam")
        ]

    async def test_another_county_is_403(self, client: AsyncClient, writer: dict[str, str]) -> None:
        response = await client.get("/v1/counties/150603/years/2025/verdict", headers=writer)

        assert response.status_code == 403
