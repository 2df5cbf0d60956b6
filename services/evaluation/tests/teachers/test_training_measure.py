"""When staffing's training counts measure 教师5年360学时 (教督〔2017〕6号 政府保障程度第9项
"教师5年360学时培训完成率达到100%", domain.md §5.4 item 9): every section the county reports, for
that school year, under the item's own 360 h / 5 years — else nothing (a review decides)."""

from dataclasses import replace
from datetime import UTC, date, datetime

from evaluation.teachers.rules import TrainingCounts, training_measure

AS_OF = date(2025, 10, 15)  # in the 2025—2026 school year


def counts(school_code: str, level: str, counted: int, meeting: int) -> TrainingCounts:
    return TrainingCounts(
        school_code=school_code,
        level=level,
        counted=counted,
        meeting=meeting,
        required_hours=360,
        window_years=5,
        window_from=date(2020, 10, 16),
        as_of=AS_OF,
        requirement_source="教督〔2017〕6号 政府保障程度第9项",
        event_id=f"event-{school_code}",
        version=1,
        event_time=datetime(2025, 10, 15, 8, tzinfo=UTC),
    )


A = counts("2115060001", "primary", 60, 60)
C = counts("2115060003", "primary", 15, 13)
J = counts("2115060002", "junior", 50, 50)
REQUIRED = [("2115060001", "primary"), ("2115060002", "junior"), ("2115060003", "primary")]
FOUND = {(s.school_code, s.level): s for s in (A, C, J)}


def measure(found: dict[tuple[str, str], TrainingCounts], **changes: int) -> object:
    rule = {"year": 2025, "required_hours": 360, "window_years": 5} | changes
    return training_measure(REQUIRED, found, **rule)


class TestTrainingMeasure:
    def test_every_section_counted_gives_the_county_totals_in_the_required_order(self) -> None:
        # 60 + 50 + 15 = 125 counted, 60 + 50 + 13 = 123 meeting 360 h: 123 / 125 < 100%
        result = training_measure(REQUIRED, FOUND, year=2025, required_hours=360, window_years=5)
        assert result is not None
        assert (result.counted, result.meeting) == (125, 123)
        assert [s.school_code for s in result.sections] == [code for code, _ in REQUIRED]
        assert result.sections[0].source == (
            "staffing event event-2115060001 v1 at 2025-10-15T08:00:00+00:00"
        )

    def test_a_section_without_counts_leaves_the_item_unmeasured(self) -> None:
        assert measure({k: v for k, v in FOUND.items() if v is not C}) is None

    def test_counts_of_another_school_year_do_not_measure_this_one(self) -> None:
        # 2026-09-01 starts the 2026 school year
        later = {**FOUND, ("2115060003", "primary"): replace(C, as_of=date(2026, 9, 1))}
        assert measure(later) is None
        assert measure(FOUND, year=2024) is None

    def test_counts_under_another_requirement_do_not_measure_item_9(self) -> None:
        county_rule = {**FOUND, ("2115060003", "primary"): replace(C, required_hours=300)}
        assert measure(county_rule) is None

    def test_no_teacher_counted_leaves_nothing_to_judge(self) -> None:
        empty = {key: replace(s, counted=0, meeting=0) for key, s in FOUND.items()}
        assert measure(empty) is None
