"""教师培训记录 through the API on both databases: records, the window's hours per teacher, the
school counts published for 教师5年360学时 (教督〔2017〕6号 政府保障程度第9项, domain.md §3.4,
§5.4), the county's own requirement, and the recount."""

from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth, problem_errors
from staffing.teachers.stats import registry_today
from staffing.training.rules import window_from

from .conftest import NINE_YEAR, PRIMARY, days_ago, register, training, years_ago

pytestmark = pytest.mark.usefixtures("schools")


def records_url(teacher_id: str) -> str:
    return f"/v1/teachers/{teacher_id}/training-records"


async def add(client: AsyncClient, headers: dict[str, Any], teacher_id: str, **changes: Any) -> Any:
    return await client.post(records_url(teacher_id), json=training(**changes), headers=headers)


async def stats_events(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.subject == "staffing.school_teacher_stats.changed")
        )
        or 0
    )


class TestRecords:
    async def test_72_hours_a_year_for_five_years_meet_360_until_the_first_leaves_the_window(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        """ "教师5年360学时" (政府保障程度第9项): 72 h completed on 30 June of 2021…2025 give 360 h
        in the five years up to 2025-08-31 (met); on 2026-06-30 the window starts 2021-07-01,
        the 2021 training has left it and 288 h remain (72 missing)."""
        teacher_id = await register(client, writer, 11)
        for year in range(2021, 2026):
            response = await add(
                client,
                writer,
                teacher_id,
                programme=f"{year}年度全员培训",
                completed_on=f"{year}-06-30",
            )
            assert response.status_code == 201, response.text
        assert response.headers["Location"] == f"{records_url(teacher_id)}/{response.json()['id']}"
        assert response.json()["hours"] == "72.0"  # sent as "72", kept to a tenth

        met = await client.get(records_url(teacher_id), params={"on": "2025-08-31"}, headers=writer)
        assert met.status_code == 200
        hours = met.json()["hours"]
        assert (hours["window_from"], hours["on"]) == ("2020-09-01", "2025-08-31")
        assert (hours["required_hours"], hours["window_years"]) == (360, 5)
        assert Decimal(hours["hours_in_window"]) == 360
        assert (hours["meets_requirement"], Decimal(hours["missing_hours"])) == (True, 0)
        assert hours["source"].startswith("教督〔2017〕6号 政府保障程度第9项")

        later = await client.get(
            records_url(teacher_id), params={"on": "2026-06-30"}, headers=writer
        )
        hours = later.json()["hours"]
        assert Decimal(hours["hours_in_window"]) == 288
        assert (hours["meets_requirement"], Decimal(hours["missing_hours"])) == (False, 72)
        records = later.json()["records"]
        assert [r["completed_on"][:4] for r in records] == ["2025", "2024", "2023", "2022", "2021"]
        assert [r["in_window"] for r in records] == [True, True, True, True, False]

    async def test_the_same_programme_completed_the_same_day_is_409(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        teacher_id = await register(client, writer, 13)
        assert (await add(client, writer, teacher_id)).status_code == 201
        response = await add(client, writer, teacher_id, hours="36")
        assert response.status_code == 409
        assert problem_errors(response) == [("programme", "training_record_unique")]

    async def test_dates_that_cannot_be_are_422_naming_each(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        teacher_id = await register(client, writer, 15)
        future = await add(client, writer, teacher_id, completed_on=days_ago(-1))
        assert future.status_code == 422
        assert problem_errors(future) == [("completed_on", "training_completed_not_in_future")]
        before_hire = await add(
            client, writer, teacher_id, started_on="2008-09-01", completed_on="2008-08-31"
        )
        assert problem_errors(before_hire) == [
            ("completed_on", "training_after_hire"),
            ("started_on", "training_period_order"),
        ]
        too_many = await add(
            client,
            writer,
            teacher_id,
            started_on="2024-07-08",
            completed_on="2024-07-09",
            hours="49",
        )
        assert problem_errors(too_many) == [("hours", "training_hours_within_period")]

    @pytest.mark.parametrize(
        ("hours", "rule"),
        [("0", "greater_than"), ("1000.5", "less_than_equal"), ("72.25", "decimal_max_places")],
    )
    async def test_hours_must_be_positive_bounded_and_to_a_tenth(
        self, client: AsyncClient, writer: dict[str, Any], hours: str, rule: str
    ) -> None:
        teacher_id = await register(client, writer, 17)
        response = await add(client, writer, teacher_id, hours=hours)
        assert response.status_code == 422
        assert problem_errors(response) == [("hours", rule)]

    async def test_another_countys_client_does_not_find_the_teacher(
        self, client: AsyncClient, writer: dict[str, Any], token: TokenFactory
    ) -> None:
        teacher_id = await register(client, writer, 19)
        anshan = auth(token("staffing:read", "staffing:write", jurisdiction=("210302",)))
        assert (await add(client, anshan, teacher_id)).status_code == 404
        assert (await client.get(records_url(teacher_id), headers=anshan)).status_code == 404

    async def test_a_reader_cannot_record_training(
        self, client: AsyncClient, writer: dict[str, Any], reader: dict[str, Any]
    ) -> None:
        teacher_id = await register(client, writer, 21)
        assert (await add(client, reader, teacher_id)).status_code == 403

    async def test_removing_a_record_recounts_the_school(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        teacher_id = await register(client, writer, 23)
        created = await add(client, writer, teacher_id, hours="360")
        stats = await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)
        assert stats.json()["sections"][0]["teachers_meeting_training_hours"] == 1

        url = f"{records_url(teacher_id)}/{created.json()['id']}"
        assert (await client.delete(url, headers=writer)).status_code == 204
        assert (await client.delete(url, headers=writer)).status_code == 404

        stats = await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)
        assert stats.json()["sections"][0]["teachers_meeting_training_hours"] == 0
        assert (await client.get(records_url(teacher_id), headers=writer)).json()["records"] == []


class TestSchoolCounts:
    async def test_counts_teachers_in_post_meeting_360_hours_in_the_five_years_to_today(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        """Three 专任教师 in post at the primary school: A has 5 × 72 = 360 h in the window
        (met), B 4 × 72 + 71 = 359 h (not met), C 4 × 72 = 288 h in it plus 72 h completed
        five years and a day ago, which has left it (not met). A 借调 teacher with 360 h is
        not counted. 1 of 3 meets the requirement."""
        a, b, c = [await register(client, writer, n) for n in (31, 33, 35)]
        seconded = await register(client, writer, 37, staffing_status="借调")
        for k in range(5):  # a year apart, the oldest 4 × 365 + 30 days ago: all in the window
            completed = days_ago(30 + 365 * k)
            await add(client, writer, a, programme=f"培训{k}", completed_on=completed)
            hours_b = "71" if k == 4 else "72"
            await add(
                client, writer, b, programme=f"培训{k}", completed_on=completed, hours=hours_b
            )
            if k < 4:
                await add(client, writer, c, programme=f"培训{k}", completed_on=completed)
        await add(client, writer, c, programme="培训4", completed_on=years_ago(5))  # left it
        await add(client, writer, seconded, hours="360")

        response = await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)

        body = response.json()
        today = registry_today()
        assert body["as_of"] == today.isoformat()
        assert body["training_requirement"]["required_hours"] == 360
        assert body["training_requirement"]["window_years"] == 5
        assert body["training_requirement"]["window_from"] == window_from(today, 5).isoformat()
        [section] = body["sections"]
        assert (section["full_time_teachers"], section["teachers_counted_for_training"]) == (3, 3)
        assert section["teachers_meeting_training_hours"] == 1
        hours_of_c = (await client.get(records_url(c), headers=writer)).json()["hours"]
        assert Decimal(hours_of_c["hours_in_window"]) == 288
        assert await stats_events(session) >= 1

    async def test_a_nine_year_school_counts_each_section_and_zeros_without_teachers(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        junior = await register(client, writer, 41, school_code=NINE_YEAR, section="初中")
        await add(client, writer, junior, hours="360")
        response = await client.get(f"/v1/schools/{NINE_YEAR}/teacher-stats", headers=writer)
        counts = {
            s["level"]: (s["teachers_counted_for_training"], s["teachers_meeting_training_hours"])
            for s in response.json()["sections"]
        }
        assert counts == {"primary": (0, 0), "junior": (1, 1)}

    async def test_the_countys_own_requirement_is_the_one_counted(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        """A county row for `training_required_hours` (300) wins over the national 360 from
        its date: a teacher with 359 h meets it after the recount."""
        teacher_id = await register(client, writer, 43)
        await add(client, writer, teacher_id, hours="359")
        stats = await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)
        assert stats.json()["sections"][0]["teachers_meeting_training_hours"] == 0

        policy = await client.post(
            "/v1/counties/150602/policy-parameters",
            json={
                "key": "training_required_hours",
                "value": "300",
                "effective_from": days_ago(1),
                "source": "东胜区教育局 test",
            },
            headers=writer,
        )
        assert policy.status_code == 201, policy.text
        recount = await client.post("/v1/counties/150602/teacher-stats/recount", headers=writer)
        assert recount.status_code == 200

        stats = (await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)).json()
        assert stats["sections"][0]["teachers_meeting_training_hours"] == 1
        assert stats["training_requirement"]["required_hours"] == 300
        assert stats["training_requirement"]["source"].startswith("东胜区教育局 test；")


class TestRecount:
    async def test_publishes_each_school_of_the_county_once_a_day(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await register(client, writer, 51)  # publishes PRIMARY's counts today
        before = await stats_events(session)

        first = await client.post("/v1/counties/150602/teacher-stats/recount", headers=writer)
        second = await client.post("/v1/counties/150602/teacher-stats/recount", headers=writer)

        # PRIMARY was published today already; NINE_YEAR never was: only it is published
        assert first.json() == {
            "county_code": "150602",
            "as_of": registry_today().isoformat(),
            "schools": 2,
            "published": 1,
        }
        assert second.json()["published"] == 0
        assert await stats_events(session) == before + 1

    async def test_another_county_is_403(self, client: AsyncClient, writer: dict[str, Any]) -> None:
        response = await client.post("/v1/counties/210302/teacher-stats/recount", headers=writer)
        assert response.status_code == 403
