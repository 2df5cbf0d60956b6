"""寄宿: the roster flags primary boarders below the boarding rule's grade (seed 000, Inner
Mongolia), lists them and counts them per county; no rule outside scope 15, no flag there.

Seed 000 (内蒙古自治区教育厅 任务分工): "原则上小学上3年级学生不寄宿,就近走读上学,路途时间一般
不超过半小时;4-6年级学生以走读为主,在住宿、生活、交通、安全等有保障的前提下可适当寄宿" — read
as grades 1–3 (`boarding_min_grade=4`, domain.md §2.1).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.schools.models import School
from assistance.students import policy, rules
from assistance.students.policy import INNER_MONGOLIA_2023, BoardingRule, ScopeBound
from assistance.students.rules import GradeCount
from junheng_contracts.enrollment import SchoolData
from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.school_directory import apply_school_state
from junheng_kit.testing.plugin import TokenFactory

from .conftest import PRIMARY, headers, writer

TONGYU_PRIMARY = "2122082201"  # a primary school of 通榆县 (220822, Jilin: outside scope 15)
ON = date(2026, 9, 1)

WANG = cid("15060220170301002")  # 王芳, grade 2
LI = cid("15060220150712001")  # 李强, grade 4
ZHAO = cid("15060220170101004")  # 赵敏, grade 2, day pupil
SUN = cid("22082220170505006")  # 孙丽, grade 2 in Tongyu


def young(grade: int, *, boarding: bool = True, status: str = "enrolled", **kw: Any) -> bool:
    return rules.is_young_boarder(
        status=status,
        level=kw.get("level", "primary"),
        grade=grade,
        boarding=boarding,
        rule=kw.get("rule", INNER_MONGOLIA_2023),
    )


class TestTheRule:
    def test_a_grade_2_boarder_in_inner_mongolia_is_flagged(self) -> None:
        """Seed 000: "原则上小学上3年级学生不寄宿" — a grade-2 boarder in 东胜区 (150602, scope 15)
        boards below grade 4: flagged young_boarder."""
        rule = policy.rule_in_force("150602", ON)
        assert rule is INNER_MONGOLIA_2023
        assert rules.student_flags(
            status="enrolled", level="primary", grade=2, boarding=True, rule=rule
        ) == ["young_boarder"]

    def test_a_grade_4_boarder_is_not_flagged(self) -> None:
        """Seed 000: "4-6年级学生以走读为主,…可适当寄宿" — a grade-4 boarder may board."""
        assert (
            rules.student_flags(
                status="enrolled", level="primary", grade=4, boarding=True, rule=INNER_MONGOLIA_2023
            )
            == []
        )

    def test_grade_3_is_the_last_grade_that_does_not_board(self) -> None:
        """Seed 000 "小学上3年级" is read as 三年级及以下 (grades 1–3): grade 3 is flagged."""
        assert (young(1), young(3), young(4), young(6)) == (True, True, False, False)

    def test_day_pupils_junior_boarders_and_pupils_who_left_are_not_flagged(self) -> None:
        assert young(2, boarding=False) is False
        assert young(8, level="junior") is False
        assert young(2, status="transferred_out") is False

    def test_outside_inner_mongolia_there_is_no_rule_and_no_flag(self) -> None:
        """No national rule is invented: 通榆县 (220822) has none in force."""
        assert policy.rule_in_force("220822", ON) is None
        assert young(2, rule=None) is False

    def test_the_rule_is_in_force_from_seed_000s_date(self) -> None:
        assert policy.rule_in_force("150602", date(2023, 9, 25)) is None
        assert policy.rule_in_force("150602", date(2023, 9, 26)) is INNER_MONGOLIA_2023

    def test_a_more_specific_rule_decides_in_its_own_counties(self) -> None:
        county = BoardingRule(
            "test", "150602", date(2024, 1, 1), None, 3, "a county's own rule", "OFF"
        )
        book = (INNER_MONGOLIA_2023, county)
        assert policy.rule_in_force("150602", ON, book) is county
        assert policy.rule_in_force("150603", ON, book) is INNER_MONGOLIA_2023
        assert policy.bounds_in_force(ON, book) == [
            ScopeBound("15", ("150602",), 4),
            ScopeBound("150602", (), 3),
        ]

    def test_county_counts_leave_a_county_without_a_rule_uncounted(self) -> None:
        counts = [
            GradeCount("150602", "primary", 2, True, 5),
            GradeCount("150602", "primary", 2, False, 20),
            GradeCount("150602", "primary", 5, True, 7),
            GradeCount("150602", "junior", 7, True, 30),
            GradeCount("220822", "primary", 1, True, 4),
        ]
        by_county = rules.county_boarding(counts, {"150602": INNER_MONGOLIA_2023, "220822": None})
        assert [(c.county_code, c.enrolled, c.boarders, c.young_boarders) for c in by_county] == [
            ("150602", 62, 42, 5),
            ("220822", 4, 4, None),
        ]


def pupil(citizen_id: str, grade: int, boarding: bool, school: str = PRIMARY) -> dict[str, Any]:
    return {
        "citizen_id": citizen_id,
        "name": "学生",
        "school_code": school,
        "level": "primary",
        "grade": grade,
        "boarding": boarding,
    }


@pytest.fixture
async def tongyu(session: AsyncSession) -> None:
    await apply_school_state(
        session,
        School,
        SchoolData(
            school_code=TONGYU_PRIMARY,
            name="通榆县小学",
            levels=["primary"],
            county_code="220822",
            longitude=123.09,
            latitude=44.81,
            planned_capacity=800,
            version=1,
        ),
        "event-tongyu",
    )


@pytest.mark.usefixtures("schools", "tongyu")
class TestRosterApi:
    async def four_pupils(self, client: AsyncClient, token: TokenFactory) -> dict[str, str]:
        both = writer(token, jurisdiction=("150602", "220822"))
        ids = {}
        for name, body in (
            ("wang", pupil(WANG, 2, True)),
            ("li", pupil(LI, 4, True)),
            ("zhao", pupil(ZHAO, 2, False)),
            ("sun", pupil(SUN, 2, True, TONGYU_PRIMARY)),
        ):
            response = await client.post("/v1/students", json=body, headers=both)
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
        return ids

    async def test_the_read_flags_a_grade_2_boarder_and_not_a_grade_4_one(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        """Seed 000: "原则上小学上3年级学生不寄宿" — 王芳 (grade 2, boarder, 150602) is flagged;
        李强 (grade 4) and 赵敏 (grade 2, day pupil) are not; 孙丽 (grade 2, boarder) in 通榆县
        (220822) has no rule in force, so no flag. Masking stays as it was."""
        ids = await self.four_pupils(client, token)
        masked = headers(token, "assistance:read", jurisdiction=("150602", "220822"))
        reads = {
            name: (await client.get(f"/v1/students/{i}", headers=masked)).json()
            for name, i in ids.items()
        }
        assert {name: r["flags"] for name, r in reads.items()} == {
            "wang": ["young_boarder"],
            "li": [],
            "zhao": [],
            "sun": [],
        }
        assert reads["wang"]["name"] == "学*"
        assert reads["wang"]["citizen_id"] == "150602********" + WANG[-4:]
        assert reads["wang"]["birth_date"] is None

    async def test_the_list_filters_young_boarders(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        ids = await self.four_pupils(client, token)
        both = writer(token, jurisdiction=("150602", "220822"))
        response = await client.get("/v1/students?flag=young_boarder", headers=both)
        assert response.status_code == 200
        assert [s["id"] for s in response.json()["items"]] == [ids["wang"]]
        everyone = await client.get("/v1/students", headers=both)
        assert len(everyone.json()["items"]) == 4
        unknown = await client.get("/v1/students?flag=old_boarder", headers=both)
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "query.flag"

    async def test_the_summary_counts_young_boarders_per_county(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        await self.four_pupils(client, token)
        both = headers(token, "assistance:read", jurisdiction=("150602", "220822"))
        response = await client.get("/v1/students/summary", headers=both)
        assert response.status_code == 200, response.text
        counties = response.json()["counties"]
        assert [
            (c["county_code"], c["enrolled"], c["boarders"], c["young_boarders"]) for c in counties
        ] == [("150602", 3, 2, 1), ("220822", 1, 1, None)]
        rule = counties[0]["boarding_rule"]
        assert (rule["scope_code"], rule["boarding_min_grade"], rule["effective_from"]) == (
            "15",
            4,
            "2023-09-26",
        )
        assert "seed 000" in rule["source"]
        assert counties[1]["boarding_rule"] is None

        one = await client.get("/v1/students/summary?county_code=150602", headers=both)
        assert [c["county_code"] for c in one.json()["counties"]] == ["150602"]
        outside = await client.get(
            "/v1/students/summary?county_code=150603",
            headers=headers(token, "assistance:read"),
        )
        assert outside.status_code == 403
        assert outside.json()["errors"][0]["field"] == "county_code"
