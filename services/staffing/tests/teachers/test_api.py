"""Teacher registry over HTTP on both databases: registration, counts, moves, bad input."""

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.enrollment import SchoolData
from junheng_kit.school_directory import apply_school_state
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth
from staffing.schools.models import School

from .conftest import JUNIOR, NINE_YEAR, OTHER_COUNTY, PRIMARY, citizen_id, teacher

pytestmark = pytest.mark.usefixtures("schools")


async def register(client: AsyncClient, headers: dict[str, Any], **changes: Any) -> Any:
    response = await client.post("/v1/teachers", json=teacher(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


class TestRegister:
    async def test_a_teacher_is_registered_with_gender_from_the_id(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        body = await register(client, writer)
        assert body["gender"] == "male"  # sequence 021: position 17 odd
        assert body["county_code"] == "150602"
        assert body["subjects"] == ["chinese"]
        assert body["title"] == "first"
        assert body["staffing_status"] == "in_quota"

    async def test_the_same_citizen_id_twice_is_409(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await register(client, writer)
        response = await client.post(
            "/v1/teachers", json=teacher(school_code=NINE_YEAR), headers=writer
        )
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "citizen_id"
        assert response.json()["errors"][0]["rule"] == "teacher_in_one_school"
        assert citizen_id("19850312", 21) not in response.text

    async def test_a_wrong_check_digit_names_field_and_rule_without_the_id(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        good = citizen_id("19850312", 21)
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        response = await client.post("/v1/teachers", json=teacher(citizen_id=bad), headers=writer)
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "citizen_id",
                "rule": "citizen_id_check_digit",
                "message": "校验码不符合 GB 11643-1999 MOD 11-2",
            }
        ]
        assert bad not in response.text

    async def test_a_birth_date_unlike_the_id_is_422(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.post(
            "/v1/teachers", json=teacher(birth_date="1985-03-13"), headers=writer
        )
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("birth_date", "birth_date_matches_citizen_id")
        ]

    async def test_unknown_subject_and_title_codes_are_named(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.post(
            "/v1/teachers", json=teacher(subjects=["书法"], title="特级"), headers=writer
        )
        assert response.status_code == 422
        assert sorted((e["field"], e["rule"]) for e in response.json()["errors"]) == [
            ("subjects", "subject_code"),
            ("title", "title_code"),
        ]

    async def test_an_unknown_school_is_422(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.post(
            "/v1/teachers", json=teacher(school_code="2115069999"), headers=writer
        )
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "school_code",
            "rule": "school_registered",
            "message": "请先在招生服务中登记该学校",
        }

    async def test_junior_section_at_a_primary_school_is_422(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.post("/v1/teachers", json=teacher(section="初中"), headers=writer)
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "section_offered_by_school"

    async def test_another_countys_school_is_403(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.post(
            "/v1/teachers", json=teacher(school_code=OTHER_COUNTY), headers=writer
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["rule"] == "jurisdiction"

    async def test_a_reader_cannot_register(self, client: AsyncClient, token: TokenFactory) -> None:
        response = await client.post(
            "/v1/teachers", json=teacher(), headers=auth(token("staffing:read"))
        )
        assert response.status_code == 403


class TestStats:
    async def test_three_primary_teachers_give_hand_counted_indicators(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        # 本科 PE teacher: above 专科 (1), PE (1); 专科 county backbone: above (2), backbone (1);
        # 中专 teacher: below the primary requirement. → 3 / above 2 / backbone 1 / pe_arts 1
        await register(
            client, writer, citizen_id=citizen_id("19850312", 21), subjects=["体育"], degree="本科"
        )
        await register(
            client,
            writer,
            citizen_id=citizen_id("19850312", 31),
            degree="专科",
            backbone_level="县级",
        )
        await register(client, writer, citizen_id=citizen_id("19850312", 41), degree="中专")
        response = await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)
        assert response.status_code == 200
        body = response.json()
        assert body["sections"] == [
            {
                "level": "primary",
                "full_time_teachers": 3,
                "teachers_above_required_degree": 2,
                "backbone_teachers": 1,
                "pe_arts_teachers": 1,
                # 教师5年360学时: three counted, none with a training record yet
                "teachers_counted_for_training": 3,
                "teachers_meeting_training_hours": 0,
            }
        ]
        assert body["version"] == 3  # each registration changed the counts
        published = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.subject == "staffing.school_teacher_stats.changed")
        )
        assert published == 3

    async def test_seconded_auxiliary_and_school_backbone_are_not_counted(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        await register(
            client, writer, citizen_id=citizen_id("19850312", 21), staffing_status="借调"
        )
        await register(
            client, writer, citizen_id=citizen_id("19850312", 31), post_type="教辅", subjects=[]
        )
        await register(client, writer, citizen_id=citizen_id("19850312", 41), backbone_level="校级")
        body = (await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)).json()
        assert body["sections"][0]["full_time_teachers"] == 1
        assert body["sections"][0]["backbone_teachers"] == 0
        assert body["version"] == 2  # the 教辅 registration changed nothing

    async def test_a_nine_year_school_reports_both_sections_by_their_own_degree_rule(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        common = {"school_code": NINE_YEAR, "degree": "专科"}
        await register(client, writer, citizen_id=citizen_id("19850312", 21), **common)
        await register(
            client, writer, citizen_id=citizen_id("19850312", 31), section="junior", **common
        )
        body = (await client.get(f"/v1/schools/{NINE_YEAR}/teacher-stats", headers=writer)).json()
        above = {s["level"]: s["teachers_above_required_degree"] for s in body["sections"]}
        assert above == {"primary": 1, "junior": 0}  # 专科 meets primary, not junior


class TestMoves:
    async def test_a_move_keeps_the_history_and_moves_the_counts(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        created = await register(client, writer)
        response = await client.post(
            f"/v1/teachers/{created['id']}/moves",
            json={
                "to_school_code": JUNIOR,
                "moved_on": "2024-09-01",
                "reason": "交流轮岗",
                "plan_reference": "plan-2024",
            },
            headers=writer,
        )
        assert response.status_code == 201, response.text
        assert response.json()["section"] == "junior"  # the junior school's only 学段
        history = (await client.get(f"/v1/teachers/{created['id']}/history", headers=writer)).json()
        assert [
            (a["sequence"], a["school_code"], a["started_on"], a["ended_on"])
            for a in history["assignments"]
        ] == [
            (1, PRIMARY, "2015-09-01", "2024-09-01"),
            (2, JUNIOR, "2024-09-01", None),
        ]
        assert history["assignments"][1]["plan_reference"] == "plan-2024"
        old = (await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)).json()
        new = (await client.get(f"/v1/schools/{JUNIOR}/teacher-stats", headers=writer)).json()
        assert old["sections"][0]["full_time_teachers"] == 0
        assert new["sections"][0]["full_time_teachers"] == 1

    async def test_a_move_before_the_current_posting_is_422(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        created = await register(client, writer)
        response = await client.post(
            f"/v1/teachers/{created['id']}/moves",
            json={"to_school_code": NINE_YEAR, "moved_on": "2015-08-31", "reason": "调动"},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "moved_on"
        assert response.json()["errors"][0]["rule"] == "move_not_before_current_period"

    async def test_rural_postings_count_as_rural_service(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        rural = await client.put(
            f"/v1/schools/{PRIMARY}/rurality", json={"is_rural": True}, headers=writer
        )
        assert rural.status_code == 200
        created = await register(
            client,
            writer,
            rural_service=[{"started_on": "2010-09-01", "ended_on": "2011-09-01"}],
        )
        await client.post(
            f"/v1/teachers/{created['id']}/moves",
            json={"to_school_code": NINE_YEAR, "moved_on": "2016-09-01", "reason": "调动"},
            headers=writer,
        )
        history = (await client.get(f"/v1/teachers/{created['id']}/history", headers=writer)).json()
        # 2010-09-01..2011-09-01 = 365 days imported; rural posting 2015-09-01..2016-09-01 = 366
        assert history["rural_service_days"] == 731
        assert [a["is_rural"] for a in history["assignments"]] == [True, False]

    async def test_the_registrys_urban_rural_code_decides_over_the_hand_set_flag(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        """Issue 19: the 城乡分类代码 (统计上划分城乡的规定, 国函〔2008〕60号: 210 乡中心区 and 220
        村庄 are 乡村) replaces the bureau's flag where the registry has one. PRIMARY is flagged
        rural but registered as 111 主城区 → urban; NINE_YEAR has no flag but 220 村庄 → rural."""
        await client.put(f"/v1/schools/{PRIMARY}/rurality", json={"is_rural": True}, headers=writer)
        for code, levels, urban_rural in (
            (PRIMARY, ["primary"], "111"),
            (NINE_YEAR, ["nine_year"], "220"),
        ):
            await apply_school_state(
                session,
                School,
                SchoolData(
                    school_code=code,
                    name=f"学校{code[-2:]}",
                    levels=levels,  # type: ignore[arg-type]
                    county_code="150602",
                    longitude=109.9,
                    latitude=39.8,
                    planned_capacity=1000,
                    version=2,
                    urban_rural_code=urban_rural,
                ),
                "registry-update",
            )
        await session.commit()
        created = await register(client, writer)
        await client.post(
            f"/v1/teachers/{created['id']}/moves",
            json={"to_school_code": NINE_YEAR, "moved_on": "2016-09-01", "reason": "调动"},
            headers=writer,
        )

        history = (await client.get(f"/v1/teachers/{created['id']}/history", headers=writer)).json()

        assert [a["is_rural"] for a in history["assignments"]] == [False, True]


class TestUpdateAndRead:
    async def test_a_stale_if_match_is_412(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        created = await register(client, writer)
        first = await client.patch(
            f"/v1/teachers/{created['id']}",
            json={"degree": "硕士研究生"},
            headers={**writer, "If-Match": '"1"'},
        )
        assert first.status_code == 200
        assert first.headers["ETag"] == '"2"'
        stale = await client.patch(
            f"/v1/teachers/{created['id']}",
            json={"degree": "本科"},
            headers={**writer, "If-Match": '"1"'},
        )
        assert stale.status_code == 412

    async def test_lists_mask_the_citizen_id(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        await register(client, writer)
        page = (await client.get("/v1/teachers?school_code=" + PRIMARY, headers=writer)).json()
        assert [t["citizen_id"] for t in page["items"]] == [
            "150602" + "********" + citizen_id("19850312", 21)[-4:]
        ]

    async def test_a_teachers_citizen_id_is_full_only_with_staffing_pii(
        self, client: AsyncClient, writer: dict[str, Any], pii_writer: dict[str, Any]
    ) -> None:
        """Issue 20 item 2: the single view and the export showed a teacher's 公民身份号码 to
        every `staffing:read` client; it is personal data (个人信息保护法 Art. 4) and is now
        masked, as its classification says, without `staffing:pii`. The name stays shown."""
        full = citizen_id("19850312", 21)
        masked = "150602" + "********" + full[-4:]
        created = await register(client, pii_writer)
        assert created["citizen_id"] == full
        url = f"/v1/teachers/{created['id']}"
        assert (await client.get(url, headers=pii_writer)).json()["citizen_id"] == full
        plain = (await client.get(url, headers=writer)).json()
        assert plain["citizen_id"] == masked
        assert plain["name"] == created["name"]
        export = "/v1/teacher-exports?county_code=150602&format=csv"
        assert full in (await client.get(export, headers=pii_writer)).text
        sheet = (await client.get(export, headers=writer)).text
        assert full not in sheet
        assert masked in sheet
        pii_list = (await client.get("/v1/teachers", headers=pii_writer)).json()
        assert [t["citizen_id"] for t in pii_list["items"]] == [masked]  # lists: always masked

    async def test_another_county_cannot_read_the_teacher(
        self, client: AsyncClient, writer: dict[str, Any], token: TokenFactory
    ) -> None:
        created = await register(client, writer)
        anshan = auth(token("staffing:read", jurisdiction=("2103",)))
        response = await client.get(f"/v1/teachers/{created['id']}", headers=anshan)
        assert response.status_code == 404
