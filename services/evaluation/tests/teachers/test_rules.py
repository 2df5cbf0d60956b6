"""Which teacher counts an assessment of stored data uses, number by number."""

from datetime import UTC, date, datetime

import pytest

from evaluation.assessment.schemas import SchoolSectionIn
from evaluation.teachers.rules import (
    StaffingCounts,
    overlay,
    school_year_of,
    staffing_source,
    upload_source,
)

UPLOADED = [
    SchoolSectionIn(
        school_code="2115060003",
        name="学校03",
        level="primary",
        students=300,
        teachers_above_required_degree=12,
        backbone_teachers=3,
        pe_arts_teachers=3,
        teaching_auxiliary_area_m2=1200,
        sports_venue_area_m2=2400,
        equipment_value_yuan=660_000,
        multimedia_classrooms=7,
    ),
    SchoolSectionIn(
        school_code="3115060001",
        name="学校01",
        level="junior",
        students=1000,
        teachers_above_required_degree=53,
        backbone_teachers=10,
        pe_arts_teachers=9,
        teaching_auxiliary_area_m2=5800,
        sports_venue_area_m2=10200,
        equipment_value_yuan=2_500_000,
        multimedia_classrooms=24,
    ),
]
SENT_AT = datetime(2025, 10, 16, 8, 30, tzinfo=UTC)


def counts(level: str = "primary", as_of: date = date(2025, 10, 15)) -> StaffingCounts:
    return StaffingCounts("2115060003", level, 13, 4, 3, as_of, "0193-event", 2, SENT_AT)


class TestSchoolYear:
    @pytest.mark.parametrize(
        ("day", "year"),
        [
            (date(2025, 9, 1), 2025),
            (date(2026, 8, 31), 2025),
            (date(2026, 3, 1), 2025),
            (date(2025, 8, 31), 2024),
        ],
    )
    def test_starts_on_1_september(self, day: date, year: int) -> None:
        assert school_year_of(day) == year


class TestOverlay:
    def test_staffings_three_counts_replace_the_uploaded_ones_of_that_section(self) -> None:
        result = overlay(UPLOADED, {("2115060003", "primary"): counts()}, year=2025)

        c = result.sections[0]
        assert (c.teachers_above_required_degree, c.backbone_teachers, c.pe_arts_teachers) == (
            13,
            4,
            3,
        )
        assert (c.students, c.teaching_auxiliary_area_m2, c.multimedia_classrooms) == (
            300,
            1200.0,
            7,
        )
        assert result.sections[1] == UPLOADED[1]
        assert result.from_staffing == [counts()]

    def test_counts_of_another_level_or_school_year_are_not_used(self) -> None:
        other_level = {("2115060003", "junior"): counts(level="junior")}
        next_year = {("2115060003", "primary"): counts(as_of=date(2026, 9, 1))}

        assert overlay(UPLOADED, other_level, year=2025).sections == UPLOADED
        assert overlay(UPLOADED, next_year, year=2025).from_staffing == []
        assert overlay(UPLOADED, next_year, year=2026).from_staffing == [
            counts(as_of=date(2026, 9, 1))
        ]

    def test_the_upload_is_left_as_it_was(self) -> None:
        overlay(UPLOADED, {("2115060003", "primary"): counts()}, year=2025)

        assert UPLOADED[0].teachers_above_required_degree == 12


class TestSources:
    def test_name_the_event_with_its_version_and_time_or_the_upload_by_its_hash(self) -> None:
        assert staffing_source("0193-event", 2, SENT_AT) == (
            "staffing event 0193-event v2 at 2025-10-16T08:30:00+00:00"
        )
        assert counts().source == staffing_source("0193-event", 2, SENT_AT)
        assert upload_source("ab" * 32) == "upload " + "ab" * 32
