"""Charts of crowded counties: which sections a chart draws and what its caption says."""

from typing import Any

import pytest

from evaluation.reports.render import MAX_BARS, chart_plan

KEY = "teaching_area_per_student"


def level_of(values: list[tuple[float, bool, bool]]) -> dict[str, Any]:
    """(value, met, within_85) per section, codes in table order."""
    return {
        "schools": [
            {
                "school_code": f"21150{i:05d}",
                "indicators": {KEY: {"value": v, "met": met, "within_85": within}},
            }
            for i, (v, met, within) in enumerate(values)
        ]
    }


class TestChartPlan:
    def test_a_small_county_draws_every_section_in_table_order(self) -> None:
        level = level_of([(5.0, True, True), (4.0, False, True), (3.0, False, False)])

        plan = chart_plan(level, KEY)

        assert [s["school_code"] for s in plan.bars] == ["2115000000", "2115000001", "2115000002"]
        assert plan.band is None
        assert plan.caption == "3 个校（学段），按表中顺序。"

    def test_300_sections_draw_the_unmet_lowest_first_and_a_band_for_the_rest(self) -> None:
        # 300 sections: 19 below the 85 % floor (values 1.00 … 1.18), 10 between floor and
        # threshold (4.00 … 4.09), 271 meeting it (5.00 … 7.70; the 136th of 271 is 6.35)
        values = (
            [(5.0 + i / 100, True, True) for i in range(271)]
            + [(4.0 + i / 100, False, True) for i in range(10)]
            + [(1.0 + i / 100, False, False) for i in range(19)]
        )

        plan = chart_plan(level_of(values), KEY)

        drawn = [s["indicators"][KEY]["value"] for s in plan.bars]
        assert len(drawn) == 29
        assert drawn == sorted(drawn)
        assert drawn[0] == 1.0
        assert plan.band is not None
        low, median, high, count = plan.band
        assert (low, count) == (5.0, 271)
        assert high == pytest.approx(7.70)
        assert median == pytest.approx(6.35)
        assert plan.caption == (
            "共 300 个校（学段），按指标值升序：未达标 29 个（其中低于 85% 下限 19 个）逐一列出；"
            "达标 271 个合并为区间带（最小 5.00，中位 6.35，最大 7.70）。"
        )

    def test_more_unmet_sections_than_bars_name_how_many_are_left_to_the_table(self) -> None:
        values = [(1.0 + i / 100, False, False) for i in range(MAX_BARS + 25)]

        plan = chart_plan(level_of(values), KEY)

        assert len(plan.bars) == MAX_BARS
        assert plan.band is None
        assert "仅列最低的 40 个，其余 25 个见上表" in plan.caption
