"""GET /v1/assessments/{id}/sources marks the area and equipment a combined school's sections
took from its shared resources (domain.md §5.1 split): which rule, which weights, how much."""

from typing import Any

import pytest
from httpx import AsyncClient

RULES = "/v1/counties/150602/scope-rules"
NINE_YEAR = "2115060009"
WEIGHTS = {
    "effective_from": "2025-09-01",
    "citation": "东胜区评估细则第三条",
    "weights": {"nine_year": {"primary": "1", "junior": "1.1"}},
}
SPLIT_FIELDS = ("teaching_auxiliary_area_m2", "equipment_value_yuan")


def assess(schools: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"county_code": "150602", "year": 2025, "schools": schools, **extra}


class TestSharedSources:
    async def test_each_part_names_the_rule_the_weights_and_its_share(
        self, client: AsyncClient, writer: dict[str, str], section: Any
    ) -> None:
        await client.put(f"{RULES}/combined_school_weights", json=WEIGHTS, headers=writer)
        # A = 400 primary, B = 600 junior pupils, weights 1 : 1.1:
        #   primary share 400 / (400 + 1.1 × 600) = 400 / 1060 = 0.377358
        #   junior share 660 / 1060 = 0.622642
        # shared: 2120 m² of teaching rooms → primary 800 m², junior 1320 m²;
        #         1,060,000 yuan of equipment → primary 400,000, junior 660,000; no sports area
        schools = [
            section(NINE_YEAR, "primary", 400, 20, 4, 4, 1000, 3200, 4e5, 10),
            section(NINE_YEAR, "junior", 600, 32, 6, 6, 2200, 6200, 9e5, 15),
            section("2115060001", "primary", 1200, 60, 14, 12, 6000, 9600, 2.6e6, 30),
        ]
        shared = [
            {
                "school_code": NINE_YEAR,
                "kind": "nine_year",
                "teaching_auxiliary_area_m2": 2120,
                "equipment_value_yuan": 1_060_000,
            }
        ]
        created = await client.post(
            "/v1/assessments", json=assess(schools, shared_resources=shared), headers=writer
        )

        response = await client.get(
            f"/v1/assessments/{created.json()['id']}/sources", headers=writer
        )

        assert response.status_code == 200
        sections = {(s["school_code"], s["level"]): s for s in response.json()["sections"]}
        primary = sections[(NINE_YEAR, "primary")]
        junior = sections[(NINE_YEAR, "junior")]
        assert primary["shared"]["rule"] == "combined_school_weights"
        assert primary["shared"]["kind"] == "nine_year"
        assert primary["shared"]["weights"] == {"primary": "1", "junior": "1.1"}
        assert primary["shared"]["pupils"] == {"primary": 400, "junior": 600}
        assert primary["shared"]["citation"] == WEIGHTS["citation"]
        assert primary["shared"]["effective_from"] == "2025-09-01"
        assert primary["shared"]["share"] == pytest.approx(400 / 1060)
        assert junior["shared"]["share"] == pytest.approx(660 / 1060)
        amounts = primary["shared"]["amounts"]
        assert amounts["teaching_auxiliary_area_m2"] == {
            "own": 1000.0,
            "shared": 2120.0,
            "added": pytest.approx(800.0),
        }
        assert amounts["equipment_value_yuan"]["added"] == pytest.approx(400_000.0)
        assert junior["shared"]["amounts"]["teaching_auxiliary_area_m2"]["added"] == (
            pytest.approx(1320.0)
        )
        assert amounts["sports_venue_area_m2"]["added"] == 0.0
        # the sources strings: the shared fields append the split, everything else as sent
        for field in SPLIT_FIELDS:
            assert primary["sources"][field] == (
                "request + 0.377358 of 2115060009's shared_resources "
                "(combined_school_weights nine_year primary 1 : junior 1.1, from 2025-09-01)"
            )
        assert primary["sources"]["sports_venue_area_m2"] == "request"
        assert primary["sources"]["students"] == "request"
        assert junior["sources"]["teaching_auxiliary_area_m2"].startswith("request + 0.622642 of")
        single = sections[("2115060001", "primary")]
        assert single["shared"] is None
        assert set(single["sources"].values()) == {"request"}

    async def test_own_plus_added_is_the_number_assessed(
        self, client: AsyncClient, writer: dict[str, str], section: Any
    ) -> None:
        await client.put(f"{RULES}/combined_school_weights", json=WEIGHTS, headers=writer)
        schools = [
            section(NINE_YEAR, "primary", 333, 15, 4, 4, 1111.5, 2500, 7e5, 9),
            section(NINE_YEAR, "junior", 271, 15, 3, 3, 1333.25, 2800, 7e5, 8),
        ]
        shared = [{"school_code": NINE_YEAR, "kind": "nine_year", "sports_venue_area_m2": 997}]
        created = (
            await client.post(
                "/v1/assessments", json=assess(schools, shared_resources=shared), headers=writer
            )
        ).json()

        sources = (
            await client.get(f"/v1/assessments/{created['id']}/sources", headers=writer)
        ).json()

        by_level = {s["level"]: s for s in created["schools"]}
        for entry in sources["sections"]:
            sports = entry["shared"]["amounts"]["sports_venue_area_m2"]
            pupils = entry["shared"]["pupils"][entry["level"]]
            per_pupil = by_level[entry["level"]]["indicators"]["sports_area_per_student"]["value"]
            assert (sports["own"] + sports["added"]) / pupils == per_pupil  # exactly
