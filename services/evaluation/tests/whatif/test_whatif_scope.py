"""What-if of an assessment made under county scope rules (domain.md §5.1): the baseline and the
scenario carry the assessment answer's `excluded` and `scope` keys, on both databases."""

from typing import Any

import pytest
from httpx import AsyncClient

RULES = "/v1/counties/150602/scope-rules"
NINE_YEAR, POINT = "2115060009", "2115060030"
WEIGHTS = {
    "effective_from": "2025-09-01",
    "citation": "东胜区评估细则第三条",
    "weights": {"nine_year": {"primary": "1", "junior": "1.1"}},
}
CUT_OFF = {"effective_from": "2025-09-01", "citation": "东胜区评估细则第二条", "min_pupils": 50}
SCOPE_KEYS = ("schools", "cv", "resource_allocation", "excluded", "scope")


@pytest.fixture
async def scoped(client: AsyncClient, writer: dict[str, str], section: Any) -> dict[str, Any]:
    """A nine-year school with 1050 m² of shared teaching rooms split 1 : 1.1 (primary 500 m²,
    junior 550 m²) and a 30-pupil teaching point left out by the cut-off of 50."""
    await client.put(f"{RULES}/combined_school_weights", json=WEIGHTS, headers=writer)
    await client.put(f"{RULES}/min_pupils_teaching_point", json=CUT_OFF, headers=writer)
    schools = [
        section(NINE_YEAR, "primary", 500, 25, 5, 5, 2000, 4000, 1e6, 12),
        section(NINE_YEAR, "junior", 500, 27, 5, 5, 2350, 5100, 1.25e6, 12),
        {**section(POINT, "primary", 30, 1, 0, 0, 90, 200, 6e4, 1), "teaching_point": True},
    ]
    shared = [{"school_code": NINE_YEAR, "kind": "nine_year", "teaching_auxiliary_area_m2": 1050}]
    response = await client.post(
        "/v1/assessments",
        json={
            "county_code": "150602",
            "year": 2025,
            "schools": schools,
            "shared_resources": shared,
        },
        headers=writer,
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


async def what_if(
    client: AsyncClient, assessment_id: str, headers: dict[str, str], *changes: dict[str, Any]
) -> Any:
    return await client.post(
        f"/v1/assessments/{assessment_id}/what-if",
        json={"changes": list(changes)},
        headers=headers,
    )


class TestScopeKeys:
    async def test_baseline_and_scenario_carry_the_answers_excluded_and_scope(
        self, client: AsyncClient, writer: dict[str, str], scoped: dict[str, Any]
    ) -> None:
        stored = (await client.get(f"/v1/assessments/{scoped['id']}", headers=writer)).json()
        # 100 m² more for the primary section: (2000 + 500 + 100) / 500 = 5.2 m² per pupil
        more_rooms = {
            "kind": "add_resources",
            "school_code": NINE_YEAR,
            "level": "primary",
            "teaching_auxiliary_area_m2": 100,
        }

        response = await what_if(client, scoped["id"], writer, more_rooms)

        assert response.status_code == 200
        body = response.json()
        assert body["baseline"] == {key: stored[key] for key in SCOPE_KEYS}
        assert {key: body["scenario"][key] for key in ("excluded", "scope")} == {
            "excluded": stored["excluded"],
            "scope": stored["scope"],
        }
        assert [e["school_code"] for e in body["scenario"]["excluded"]] == [POINT]
        primary = next(s for s in body["scenario"]["schools"] if s["level"] == "primary")
        assert primary["indicators"]["teaching_area_per_student"]["value"] == pytest.approx(5.2)

    async def test_the_scope_is_the_one_assessed_under_not_the_countys_rules_of_today(
        self, client: AsyncClient, writer: dict[str, str], scoped: dict[str, Any]
    ) -> None:
        lower = {**CUT_OFF, "min_pupils": 20, "citation": "细则（修订）"}
        await client.put(f"{RULES}/min_pupils_teaching_point", json=lower, headers=writer)
        no_change = {
            "kind": "set_students",
            "school_code": NINE_YEAR,
            "level": "junior",
            "students": 500,
        }

        body = (await what_if(client, scoped["id"], writer, no_change)).json()

        assert body["baseline"]["excluded"] == scoped["excluded"]
        assert body["scenario"]["scope"]["rules"] == scoped["scope"]["rules"]
        assert "细则（修订）" not in str(body)

    async def test_without_county_rules_the_blocks_keep_the_resource_keys_only(
        self, client: AsyncClient, writer: dict[str, str], assessment: dict[str, Any]
    ) -> None:
        change = {"kind": "set_students", "school_code": "2115060001", "level": "primary",
                  "students": 1200}  # fmt: skip

        body = (await what_if(client, assessment["id"], writer, change)).json()

        assert (
            set(body["baseline"])
            == set(body["scenario"])
            == {
                "schools",
                "cv",
                "resource_allocation",
            }
        )

    async def test_a_change_naming_an_excluded_teaching_point_is_422_with_the_reason(
        self, client: AsyncClient, writer: dict[str, str], scoped: dict[str, Any]
    ) -> None:
        move = {
            "kind": "move_teachers",
            "from_school": NINE_YEAR,
            "from_level": "primary",
            "to_school": POINT,
            "to_level": "primary",
            "teacher_kind": "above_required_degree",
            "count": 1,
        }

        response = await what_if(client, scoped["id"], writer, move)

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "changes[0].to_school",
                "rule": "section_excluded",
                "message": "教学点 30 人 < 50 人（东胜区评估细则第二条）",
            }
        ]
