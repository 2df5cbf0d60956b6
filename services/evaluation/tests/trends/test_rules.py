"""Assessment summaries (trends/rules.py) against the hand-checked 4-section county."""

import json
from dataclasses import replace
from datetime import date

import pytest

from evaluation.assessment import rules
from evaluation.assessment.catalogue import catalogue_in_force
from evaluation.assessment.schemas import SchoolSectionIn
from evaluation.assessment.service import canonical_inputs, result_document
from evaluation.trends.rules import CvFigure, summarise, summary_from_documents, worst_cv

CATALOGUE = catalogue_in_force(date(2025, 9, 1))
# the county of tests/assessment/test_assessment_api.py: A, B, C primary (C fails), J junior
COUNTY = [
    rules.SectionInput("2115060001", "primary", 1200, 60, 14, 12, 6000, 9600, 2_600_000, 30),
    rules.SectionInput("2115060002", "primary", 800, 36, 8, 8, 3600, 5600, 1_680_000, 20),
    rules.SectionInput("2115060003", "primary", 300, 12, 3, 3, 1200, 2400, 660_000, 7),
    rules.SectionInput("3115060001", "junior", 1000, 53, 10, 9, 5800, 10200, 2_500_000, 24),
]


def summary_of(sections: list[rules.SectionInput]) -> dict[str, object]:
    outcome = rules.assess(sections, CATALOGUE)
    return summarise(
        sections,
        [s.passed for s in outcome.sections],
        {
            level: {k: CvFigure(c.value, float(c.limit), c.passed) for k, c in by_key.items()}
            for level, by_key in outcome.cv.items()
        },
        outcome.failing_cv,
        CATALOGUE,
    )


def test_county_means_are_pupil_weighted_in_the_indicators_unit() -> None:
    summary = summary_of(COUNTY)
    primary = summary["levels"]["primary"]  # type: ignore[index]
    assert (primary["sections"], primary["passing_sections"]) == (3, 2)
    area = primary["indicators"]["teaching_area_per_student"]
    assert area["county_mean"] == pytest.approx(10800 / 2300, rel=1e-12)  # 4.695652
    assert area["cv"] == pytest.approx(0.075223, abs=1e-6)
    assert (area["cv_limit"], area["cv_passed"]) == (0.5, True)
    # per 100 pupils: (60 + 36 + 12) teachers ÷ 2300 pupils × 100 = 4.695652
    teachers = primary["indicators"]["senior_degree_teachers_per_100"]
    assert teachers["county_mean"] == pytest.approx(108 / 2300 * 100, rel=1e-12)
    junior = summary["levels"]["junior"]  # type: ignore[index]
    assert junior["indicators"]["teaching_area_per_student"] == {
        "county_mean": 5.8,
        "cv": 0.0,
        "cv_limit": 0.45,
        "cv_passed": True,
    }
    assert summary["failing_schools"] == 1
    assert summary["failing_cv"] == []


def test_one_more_teacher_makes_the_failing_section_pass() -> None:
    fixed = [*COUNTY[:2], replace(COUNTY[2], teachers_above_required_degree=13), COUNTY[3]]
    summary = summary_of(fixed)
    assert summary["levels"]["primary"]["passing_sections"] == 3  # type: ignore[index]
    assert summary["failing_schools"] == 0


def test_a_level_without_sections_is_left_out() -> None:
    assert list(summary_of(COUNTY[:3])["levels"]) == ["primary"]  # type: ignore[call-overload]


def test_worst_cv_is_the_largest_relative_to_its_limit() -> None:
    summary = summary_of(COUNTY)
    worst = worst_cv(summary)
    primary = summary["levels"]["primary"]["indicators"]  # type: ignore[index]
    largest = max(primary, key=lambda key: primary[key]["cv"])
    assert worst["primary"] == {
        "indicator": largest,
        "value": primary[largest]["cv"],
        "limit": 0.5,
    }
    # every junior CV is 0 (one section): the first in catalogue order
    assert worst["junior"] == {
        "indicator": "senior_degree_teachers_per_100",
        "value": 0.0,
        "limit": 0.45,
    }


def test_the_backfill_from_stored_documents_equals_the_summary_stored_at_creation() -> None:
    sections = [
        SchoolSectionIn(name="学校", **{f: getattr(s, f) for f in s.__slots__})
        for s in reversed(COUNTY)  # any input order
    ]
    inputs = [rules.SectionInput(**s.model_dump(exclude={"name"})) for s in sections]
    outcome = rules.assess(inputs, CATALOGUE)
    canonical = canonical_inputs("150602", 2025, sections)
    document = result_document("id", "150602", 2025, outcome, "sha", CATALOGUE.version)
    stored = json.loads(json.dumps(document))
    assert summary_from_documents(json.loads(canonical), stored, CATALOGUE) == summary_of(COUNTY)
