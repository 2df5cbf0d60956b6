"""POST /v1/assessments/{id}/what-if on SQLite and PostgreSQL: computed, never stored."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment.models import Assessment
from evaluation.whatif.schemas import WhatIfRead
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth

A, B, C, J = "2115060001", "2115060002", "2115060003", "3115060001"


ONE_TEACHER_FOR_C = {
    "kind": "add_resources",
    "school_code": C,
    "level": "primary",
    "teachers_above_required_degree": 1,
}
NO_CHANGE = {"kind": "set_students", "school_code": A, "level": "primary", "students": 1200}


async def what_if(
    client: AsyncClient, assessment_id: str, headers: dict[str, str], *changes: dict[str, Any]
) -> Any:
    return await client.post(
        f"/v1/assessments/{assessment_id}/what-if",
        json={"changes": list(changes)},
        headers=headers,
    )


def by_code(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {school["school_code"]: school for school in result["schools"]}


def errors(response: Any) -> list[tuple[str, str]]:
    return [(error["field"], error["rule"]) for error in response.json()["errors"]]


class TestScenario:
    async def test_one_more_qualified_teacher_makes_c_and_the_county_pass(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        response = await what_if(client, assessment["id"], reader, ONE_TEACHER_FOR_C)

        assert response.status_code == 200
        body = response.json()
        WhatIfRead.model_validate(body)  # the contract the endpoint serialises to
        assert set(body) == {
            "assessment_id",
            "county_code",
            "year",
            "catalogue_version",
            "changes_applied",
            "baseline",
            "scenario",
            "changed_sections",
            "cheapest_fix",
        }
        assert (body["assessment_id"], body["county_code"], body["year"]) == (
            assessment["id"],
            "150602",
            2025,
        )
        assert body["catalogue_version"] == assessment["catalogue_version"]
        assert body["changes_applied"] == 1
        c_teachers = by_code(body["scenario"])[C]["indicators"]["senior_degree_teachers_per_100"]
        assert c_teachers["value"] == pytest.approx(13 / 300 * 100, rel=1e-12)  # 4.333 ≥ 4.2
        assert c_teachers["met"] is True
        assert (
            by_code(body["scenario"])[C]["met_count"],
            by_code(body["scenario"])[C]["passed"],
        ) == (
            6,
            True,
        )
        # 13 + 60 + 36 = 109 teachers / 2300 pupils; every primary CV stays within 0.50
        assert all(cv["passed"] for cv in body["scenario"]["cv"]["primary"].values())
        assert body["scenario"]["cv"]["primary"]["senior_degree_teachers_per_100"]["value"] < 0.5
        assert body["scenario"]["resource_allocation"] == {
            "passed": True,
            "failing_schools": [],
            "failing_cv": [],
        }
        assert body["baseline"]["resource_allocation"]["passed"] is False
        assert body["changed_sections"] == [
            {
                "school_code": C,
                "level": "primary",
                "before_passed": False,
                "after_passed": True,
                "before_met_count": 5,
                "after_met_count": 6,
            }
        ]
        assert body["cheapest_fix"]["sections"] == []
        assert body["cheapest_fix"]["totals"] == {}
        assert body["cheapest_fix"]["resulting_resource_allocation"]["passed"] is True

    async def test_the_baseline_is_the_stored_assessment_exactly(
        self,
        client: AsyncClient,
        reader: dict[str, str],
        token: TokenFactory,
        county: list[dict[str, Any]],
    ) -> None:
        # sent in reverse order: the baseline keeps the answer's order, and its sums, bit for bit
        created = await client.post(
            "/v1/assessments",
            json={"county_code": "150602", "year": 2025, "schools": list(reversed(county))},
            headers=auth(token("evaluation:write")),
        )
        stored = (
            await client.get(f"/v1/assessments/{created.json()['id']}", headers=reader)
        ).json()

        body = (await what_if(client, stored["id"], reader, ONE_TEACHER_FOR_C)).json()

        assert body["baseline"] == {
            "schools": stored["schools"],
            "cv": stored["cv"],
            "resource_allocation": stored["resource_allocation"],
        }
        assert [s["school_code"] for s in body["scenario"]["schools"]] == [J, C, B, A]

    async def test_moving_teachers_lowers_the_source_and_raises_the_target(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        move = {
            "kind": "move_teachers",
            "from_school": A,
            "from_level": "primary",
            "to_school": C,
            "to_level": "primary",
            "teacher_kind": "above_required_degree",
            "count": 2,
        }

        body = (await what_if(client, assessment["id"], reader, move)).json()

        scenario = by_code(body["scenario"])
        a_teachers = scenario[A]["indicators"]["senior_degree_teachers_per_100"]
        c_teachers = scenario[C]["indicators"]["senior_degree_teachers_per_100"]
        assert a_teachers["value"] == pytest.approx(58 / 1200 * 100, rel=1e-12)  # 4.833
        assert c_teachers["value"] == pytest.approx(14 / 300 * 100, rel=1e-12)  # 4.667
        # only that kind moves: backbone teachers stay 14 and 3
        assert (
            scenario[A]["indicators"]["backbone_teachers_per_100"]
            == by_code(body["baseline"])[A]["indicators"]["backbone_teachers_per_100"]
        )
        assert scenario[B] == by_code(body["baseline"])[B]
        assert [
            (s["school_code"], s["before_met_count"], s["after_met_count"], s["after_passed"])
            for s in body["changed_sections"]
        ] == [(A, 7, 7, True), (C, 5, 6, True)]
        assert body["scenario"]["resource_allocation"]["passed"] is True

    async def test_setting_enrollment_changes_every_per_pupil_value(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        fewer = {"kind": "set_students", "school_code": C, "level": "primary", "students": 250}

        body = (await what_if(client, assessment["id"], reader, fewer)).json()

        values = {
            key: indicator["value"]
            for key, indicator in by_code(body["scenario"])[C]["indicators"].items()
        }
        assert values == pytest.approx(
            {
                "senior_degree_teachers_per_100": 4.8,  # 12 / 250 × 100
                "backbone_teachers_per_100": 1.2,
                "pe_arts_teachers_per_100": 1.2,
                "teaching_area_per_student": 4.8,  # 1200 / 250
                "sports_area_per_student": 9.6,
                "equipment_value_per_student": 2640.0,
                "multimedia_classrooms_per_100": 2.8,
            },
            rel=1e-12,
        )
        assert by_code(body["scenario"])[C]["met_count"] == 7

    async def test_changes_apply_in_order(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        move_13 = {
            "kind": "move_teachers",
            "from_school": C,
            "from_level": "primary",
            "to_school": B,
            "to_level": "primary",
            "teacher_kind": "above_required_degree",
            "count": 13,
        }

        after_adding = await what_if(client, assessment["id"], reader, ONE_TEACHER_FOR_C, move_13)
        before_adding = await what_if(client, assessment["id"], reader, move_13, ONE_TEACHER_FOR_C)

        assert after_adding.status_code == 200
        c_teachers = by_code(after_adding.json()["scenario"])[C]["indicators"][
            "senior_degree_teachers_per_100"
        ]
        assert c_teachers == {"value": 0.0, "threshold": 4.2, "met": False, "within_85": False}
        assert before_adding.status_code == 422
        assert errors(before_adding) == [("changes[0].count", "teachers_available")]

    async def test_nothing_is_stored_or_announced(
        self,
        client: AsyncClient,
        session: AsyncSession,
        reader: dict[str, str],
        assessment: dict[str, Any],
    ) -> None:
        await what_if(client, assessment["id"], reader, ONE_TEACHER_FOR_C)

        assert await session.scalar(select(func.count()).select_from(Assessment)) == 1
        assert sorted(await session.scalars(select(OutboxMessage.subject))) == [
            "evaluation.assessment.completed",
            "evaluation.verdict.changed",  # both from the assessment itself
        ]


class TestCheapestFix:
    async def test_on_the_baseline_c_needs_one_qualified_teacher(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        # relative shortfalls of C: teachers (4.2 − 4.0) / 4.2 = 0.0476 < area (4.5 − 4.0) / 4.5
        # = 0.111 → ceil(4.2 × 300 / 100) − 12 = 1 teacher
        body = (await what_if(client, assessment["id"], reader, NO_CHANGE)).json()

        assert body["changed_sections"] == []
        assert body["scenario"] == body["baseline"]
        fix = body["cheapest_fix"]
        assert fix["method"].startswith("greedy: ")
        assert fix["sections"] == [
            {
                "school_code": C,
                "level": "primary",
                "additions": {"teachers_above_required_degree": 1},
            }
        ]
        assert fix["totals"] == {"teachers_above_required_degree": 1}
        assert fix["resulting_resource_allocation"] == {
            "passed": True,
            "failing_schools": [],
            "failing_cv": [],
        }

    async def test_floors_first_then_the_smallest_relative_shortfalls_summed_in_totals(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        # C at 333 pupils meets only pe (3/333×100 = 0.9009); area 1200/333 = 3.6036 < 3.825:
        # floor 3.825 × 333 = 1273.725 → 73.73 m² (rounded up to the cent). Then 5 more to meet,
        # by relative shortfall: equipment 0.9 % (2000 × 333 − 660000 = 6000 yuan), sports 3.9 %
        # (7.5 × 333 − 2400 = 97.5 m²), classrooms 8.6 % (ceil 7.659 − 7 = 1), backbone 9.9 %
        # (ceil 3.33 − 3 = 1), teachers 14.2 % (ceil 13.986 − 12 = 2); area (15 % after its
        # floor) stays at the floor.
        # B at 820 pupils: backbone 8/8.2 and area 3600/820 both 1/41 short (2.44 %), sports
        # 8.9 %: 4 of 7 met → backbone ceil(8.2) − 8 = 1 and area 4.5 × 820 − 3600 = 90 m².
        grow_c = {"kind": "set_students", "school_code": C, "level": "primary", "students": 333}
        grow_b = {"kind": "set_students", "school_code": B, "level": "primary", "students": 820}

        body = (await what_if(client, assessment["id"], reader, grow_c, grow_b)).json()

        fix = body["cheapest_fix"]
        assert fix["sections"] == [
            {
                "school_code": B,
                "level": "primary",
                "additions": {"backbone_teachers": 1, "teaching_auxiliary_area_m2": 90.0},
            },
            {
                "school_code": C,
                "level": "primary",
                "additions": {
                    "teachers_above_required_degree": 2,
                    "backbone_teachers": 1,
                    "teaching_auxiliary_area_m2": 73.73,
                    "sports_venue_area_m2": 97.5,
                    "equipment_value_yuan": 6000.0,
                    "multimedia_classrooms": 1,
                },
            },
        ]
        assert fix["totals"] == {
            "teachers_above_required_degree": 2,
            "backbone_teachers": 2,
            "teaching_auxiliary_area_m2": 163.73,
            "sports_venue_area_m2": 97.5,
            "equipment_value_yuan": 6000.0,
            "multimedia_classrooms": 1,
        }
        assert fix["resulting_resource_allocation"]["failing_schools"] == []

    async def test_applying_the_suggestion_as_a_scenario_passes_every_school(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        grow_c = {"kind": "set_students", "school_code": C, "level": "primary", "students": 333}
        fix = (await what_if(client, assessment["id"], reader, grow_c)).json()["cheapest_fix"]
        suggested = [
            {
                "kind": "add_resources",
                "school_code": s["school_code"],
                "level": s["level"],
                **s["additions"],
            }
            for s in fix["sections"]
        ]

        body = (await what_if(client, assessment["id"], reader, grow_c, *suggested)).json()

        assert body["scenario"]["resource_allocation"] == fix["resulting_resource_allocation"]
        assert body["scenario"]["resource_allocation"]["failing_schools"] == []
        assert body["cheapest_fix"]["sections"] == []


class TestBadChanges:
    async def test_an_unknown_school_is_named_with_its_field(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        unknown = {**ONE_TEACHER_FOR_C, "school_code": "2115069999"}

        response = await what_if(client, assessment["id"], reader, NO_CHANGE, unknown)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"] == [
            {
                "field": "changes[1].school_code",
                "rule": "school_in_assessment",
                "message": "学校 2115069999 不在本次评估中",
            }
        ]

    async def test_a_level_the_school_does_not_have_is_named(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        junior_c = {**ONE_TEACHER_FOR_C, "level": "junior"}

        response = await what_if(client, assessment["id"], reader, junior_c)

        assert errors(response) == [("changes[0].level", "section_in_assessment")]

    async def test_moving_more_teachers_than_the_school_has_is_422(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        move = {
            "kind": "move_teachers",
            "from_school": C,
            "from_level": "primary",
            "to_school": A,
            "to_level": "primary",
            "teacher_kind": "backbone",
            "count": 4,
        }

        response = await what_if(client, assessment["id"], reader, move)

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "changes[0].count",
                "rule": "teachers_available",
                "message": "2115060003 primary 此时有 3 名 backbone_teachers，无法调动 4 名",
            }
        ]

    async def test_moving_within_one_section_is_422(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        move = {
            "kind": "move_teachers",
            "from_school": C,
            "from_level": "primary",
            "to_school": C,
            "to_level": "primary",
            "teacher_kind": "pe_arts",
            "count": 1,
        }

        response = await what_if(client, assessment["id"], reader, move)

        assert errors(response) == [("changes[0].to_school", "distinct_sections")]

    async def test_a_scenario_leaving_a_level_without_a_resource_is_422(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        all_junior_backbone = {
            "kind": "move_teachers",
            "from_school": J,
            "from_level": "junior",
            "to_school": A,
            "to_level": "primary",
            "teacher_kind": "backbone",
            "count": 10,
        }

        response = await what_if(client, assessment["id"], reader, all_junior_backbone)

        assert response.status_code == 422
        assert errors(response) == [("changes", "cv_mean_positive")]

    @pytest.mark.parametrize(
        ("change", "field", "rule"),
        [
            (
                {**ONE_TEACHER_FOR_C, "colour": "red"},
                "changes.0.add_resources.colour",
                "extra_forbidden",
            ),
            (
                {"kind": "add_resources", "school_code": C, "level": "primary"},
                "changes.0.add_resources",
                "addition_required",
            ),
            (
                {**ONE_TEACHER_FOR_C, "teaching_auxiliary_area_m2": -1},
                "changes.0.add_resources.teaching_auxiliary_area_m2",
                "greater_than_equal",
            ),
            ({**NO_CHANGE, "students": 0}, "changes.0.set_students.students", "greater_than"),
            ({**NO_CHANGE, "kind": "close_school"}, "changes.0", "union_tag_invalid"),
            (
                {
                    "kind": "move_teachers",
                    "from_school": C,
                    "from_level": "primary",
                    "to_school": A,
                    "to_level": "primary",
                    "teacher_kind": "janitor",
                    "count": 1,
                },
                "changes.0.move_teachers.teacher_kind",
                "literal_error",
            ),
        ],
    )
    async def test_a_change_not_matching_the_schema_is_named_with_its_rule(
        self,
        client: AsyncClient,
        reader: dict[str, str],
        assessment: dict[str, Any],
        change: dict[str, Any],
        field: str,
        rule: str,
    ) -> None:
        response = await what_if(client, assessment["id"], reader, change)

        assert response.status_code == 422
        assert (field, rule) in errors(response)

    async def test_no_changes_is_422(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        response = await what_if(client, assessment["id"], reader)

        assert errors(response) == [("changes", "too_short")]

    async def test_more_than_500_changes_is_422(
        self, client: AsyncClient, reader: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        response = await what_if(client, assessment["id"], reader, *[NO_CHANGE] * 501)

        assert errors(response) == [("changes", "too_long")]


class TestAccess:
    async def test_another_countys_assessment_is_not_found(
        self, client: AsyncClient, token: TokenFactory, assessment: dict[str, Any]
    ) -> None:
        tongyu = auth(token("evaluation:read", jurisdiction=("220822",)))

        response = await what_if(client, assessment["id"], tongyu, ONE_TEACHER_FOR_C)

        assert response.status_code == 404

    async def test_an_unknown_assessment_is_not_found(
        self, client: AsyncClient, reader: dict[str, str]
    ) -> None:
        response = await what_if(
            client, "01900000-0000-7000-8000-000000000000", reader, ONE_TEACHER_FOR_C
        )

        assert response.status_code == 404

    async def test_a_token_without_read_scope_is_403(
        self, client: AsyncClient, token: TokenFactory, assessment: dict[str, Any]
    ) -> None:
        response = await what_if(
            client, assessment["id"], auth(token("enrollment:read")), ONE_TEACHER_FOR_C
        )

        assert response.status_code == 403
        assert response.json()["errors"][0]["rule"] == "scope_required"
