"""教师5年360学时 (教督〔2017〕6号 政府保障程度第9项 "教师5年360学时培训完成率达到100%", domain.md
§5.4 item 9) measured on staffing's training counts, on SQLite and PostgreSQL: the verdict
judges the item from the read model when every section of the county-year has counts, names
each section's staffing event, and a stored review still decides when present."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.teachers.service import apply_teacher_stats
from junheng_contracts.staffing import (
    SchoolTeacherStatsChanged,
    SchoolTeacherStatsData,
    SectionTeacherStats,
    TrainingRequirement,
)
from junheng_kit.tables import OutboxMessage

BASE = "/v1/counties/150602/years/2025"
AS_OF = date(2025, 10, 15)  # in the 2025—2026 school year
NATIONAL = "教督〔2017〕6号 政府保障程度第9项：教师5年360学时培训完成率达到100%。"
A, B, C, J = "2115060001", "2115060002", "2115060003", "3115060001"


def training_event(
    school_code: str,
    level: str,
    counted: int,
    meeting: int,
    *,
    version: int = 1,
    as_of: date = AS_OF,
    required_hours: int = 360,
) -> SchoolTeacherStatsChanged:
    """staffing's counts of one single-section school, with its training counts."""
    return SchoolTeacherStatsChanged.of(
        subject=school_code,
        jurisdiction="150602",
        data=SchoolTeacherStatsData(
            school_code=school_code,
            county_code="150602",
            as_of=as_of,
            version=version,
            sections=[
                SectionTeacherStats(
                    level=level,  # type: ignore[arg-type]
                    full_time_teachers=counted,
                    teachers_above_required_degree=counted,
                    backbone_teachers=0,
                    pe_arts_teachers=0,
                    teachers_counted_for_training=counted,
                    teachers_meeting_training_hours=meeting,
                )
            ],
            training_requirement=TrainingRequirement(
                required_hours=required_hours,
                window_years=5,
                window_from=date(2020, 10, 16),
                source=NATIONAL,
            ),
        ),
    )


async def apply(session: AsyncSession, *events: SchoolTeacherStatsChanged) -> None:
    """The consumer's use-case, as the inbox runs it: one event, one transaction."""
    for event in events:
        assert await apply_teacher_stats(session, event)
        await session.commit()


def county_counts(**changes: SchoolTeacherStatsChanged) -> list[SchoolTeacherStatsChanged]:
    """A 60/60, B 40/40, C 15 counted and 13 meeting 360 h, J 50/50: 163 of 165."""
    events = {
        "A": training_event(A, "primary", 60, 60),
        "B": training_event(B, "primary", 40, 40),
        "C": training_event(C, "primary", 15, 13),
        "J": training_event(J, "junior", 50, 50),
    } | changes
    return list(events.values())


@pytest.fixture
async def stored_county(
    client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    response = await client.put(
        "/v1/school-resources/150602/2025", json={"schools": county}, headers=writer
    )
    assert response.status_code == 200
    return county


async def training_item(client: AsyncClient, headers: dict[str, str]) -> tuple[dict[str, Any], Any]:
    body = (await client.get(f"{BASE}/verdict", headers=headers)).json()
    failing = {i["key"]: i for i in body["parts"]["government_assurance"]["failing"]}
    return body, failing.get("training_hours")


@pytest.mark.usefixtures("stored_county")
class TestMeasuredFromStaffing:
    async def test_163_of_165_teachers_fail_the_100_percent_rule_with_each_sections_source(
        self, client: AsyncClient, writer: dict[str, str], session: AsyncSession
    ) -> None:
        """ "培训完成率达到100%": 163 of 165 专任教师 have 360 学时 in the five years to
        2025-10-15 → 0.987879 < 1; 2 teachers short, both at C."""
        events = county_counts()
        await apply(session, *events)

        body, item = await training_item(client, writer)

        assert "items.training_hours" not in body["missing"]
        assert item is not None
        assert (item["source"], item["basis"], item["met"]) == ("staffing", "measured", False)
        assert item["reviewer"] == "staffing's teacher registry (教师培训记录)"
        [criterion] = item["criteria"]
        assert (criterion["name"], criterion["value"], criterion["threshold"]) == (
            "completion",
            "0.987879",
            "1",
        )
        assert (Decimal(criterion["missing"]), criterion["missing_unit"]) == (2, "teachers")
        by_school = {s["school_code"]: s for s in item["training_sections"]}
        assert set(by_school) == {A, B, C, J}
        c_event = events[2]
        assert by_school[C] == {
            "school_code": C,
            "level": "primary",
            "teachers_counted": 15,
            "teachers_meeting_training_hours": 13,
            "required_hours": 360,
            "window_from": "2020-10-16",
            "as_of": "2025-10-15",
            "source": f"staffing event {c_event.id} v1 at {c_event.time.isoformat()}",
        }
        [evidence] = item["evidence"]
        assert evidence["title"] == "教师培训学时：360 学时 / 5 年"
        assert evidence["reference"].startswith(
            "staffing.school_teacher_stats.changed, 4 school sections as of 2025-10-15"
        )
        training_failures = [
            (f["key"], f["school_code"], f["level"], f["gap"], f["unit"])
            for f in body["failing_items"]
            if f["key"].startswith("training_hours")
        ]
        assert training_failures == [("training_hours.completion", C, "primary", "2", "teachers")]

    async def test_every_teacher_meeting_360_hours_meets_the_item(
        self, client: AsyncClient, writer: dict[str, str], session: AsyncSession
    ) -> None:
        await apply(session, *county_counts(C=training_event(C, "primary", 15, 15)))

        body, item = await training_item(client, writer)

        assert item is None  # not failing
        assert "items.training_hours" not in body["missing"]
        assert not [f for f in body["failing_items"] if f["key"].startswith("training_hours")]

    async def test_a_stored_review_decides_over_the_counts(
        self, client: AsyncClient, writer: dict[str, str], session: AsyncSession
    ) -> None:
        await apply(session, *county_counts())
        review = {
            "measured": {"teachers_completed_360_hours": 165, "teachers": 165},
            "evidence": [{"title": "教师培训学时台账", "reference": "东教发〔2025〕20号"}],
            "reviewer": "李审核",
        }
        response = await client.put(f"{BASE}/items/training_hours", json=review, headers=writer)
        assert response.status_code == 200

        body, item = await training_item(client, writer)

        assert item is None  # the review's 165 / 165 decides, not staffing's 163 / 165
        assert not [f for f in body["failing_items"] if f["key"].startswith("training_hours")]

    async def test_a_section_without_counts_leaves_the_item_to_a_review(
        self, client: AsyncClient, writer: dict[str, str], session: AsyncSession
    ) -> None:
        await apply(session, *county_counts()[:3])  # J has none

        body, item = await training_item(client, writer)

        assert item is None
        assert "items.training_hours" in body["missing"]

    async def test_counts_of_another_year_or_rule_do_not_measure_it(
        self, client: AsyncClient, writer: dict[str, str], session: AsyncSession
    ) -> None:
        await apply(
            session,
            *county_counts(
                J=training_event(J, "junior", 50, 50, as_of=date(2026, 9, 1)),
                C=training_event(C, "primary", 15, 15, required_hours=300),
            ),
        )

        body, _ = await training_item(client, writer)

        assert "items.training_hours" in body["missing"]

    async def test_a_special_education_school_is_not_required(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        session: AsyncSession,
        stored_county: list[dict[str, Any]],
        section: Any,
    ) -> None:
        special = section("2115060009", "primary", 60, 5, 1, 1, 300, 500, 200_000, 2)
        special["special_education"] = True
        response = await client.put(
            "/v1/school-resources/150602/2025",
            json={"schools": [*stored_county, special]},
            headers=writer,
        )
        assert response.status_code == 200
        await apply(session, *county_counts())

        _, item = await training_item(client, writer)

        assert item is not None
        assert (item["source"], len(item["training_sections"])) == ("staffing", 4)


class TestVerdictAnnounced:
    async def test_training_counts_arriving_rejudge_the_school_year(
        self, session: AsyncSession
    ) -> None:
        """The consumer records `VerdictInputChanged` for the school year of the counts: the
        county-year's first verdict is announced (`evaluation.verdict.changed`)."""
        await apply(session, training_event(C, "primary", 15, 13))

        announced = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.subject == "evaluation.verdict.changed")
        )
        assert announced == 1
