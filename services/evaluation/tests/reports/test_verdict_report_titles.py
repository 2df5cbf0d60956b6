"""The county verdict report reads as a bureau reads it: Chinese titles for indicators, items and
what is missing (the API key kept under each title), and the resource part says what failed."""

from typing import Any

from httpx import AsyncClient

VERDICT = "/v1/counties/150602/years/2025/verdict/report"


class TestVerdictReportTitles:
    async def test_indicators_items_and_missing_inputs_carry_their_chinese_titles(
        self, client: AsyncClient, assessment: dict[str, Any], writer: dict[str, str]
    ) -> None:
        # the conftest county: school C (2115060003) fails indicators 1 and 4; nothing else set
        response = await client.get(f"{VERDICT}.html", headers=writer)

        assert response.status_code == 200
        html = response.text
        assert "未达标学校（学段）1 个；未达标差异系数 0 项" in html
        # failing items and the per-school table: the title, and the key under it
        assert (
            "高于规定学历教师数（每百名学生）<br><span class=key>"
            "senior_degree_teachers_per_100</span>"
        ) in html
        assert "生均教学及辅助用房面积<br><span class=key>teaching_area_per_student</span>" in html
        # missing inputs by number and title, not by key
        assert "1. 学校布局规划合理" in html
        assert "社会认可度调查" in html
        assert "items.school_network_plan" not in html
