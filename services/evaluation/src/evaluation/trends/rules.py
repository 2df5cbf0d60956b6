"""Assessment summaries: the few figures trends and roll-ups read, instead of the full result.

Pure functions, no I/O. A summary is computed once when an assessment is stored (and by migration
e0004 for older rows), so listing many assessments never parses their ~1.5 MB `result`.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import fsum
from typing import Any

from evaluation.assessment.catalogue import LEVELS, Catalogue
from evaluation.assessment.rules import SectionInput


@dataclass(frozen=True, slots=True)
class CvFigure:
    value: float  # 差异系数, unrounded
    limit: float
    passed: bool


def summarise(
    sections: Sequence[SectionInput],
    passed: Sequence[bool],
    cv: Mapping[str, Mapping[str, CvFigure]],
    failing_cv: Iterable[Mapping[str, str]],
    catalogue: Catalogue,
) -> dict[str, Any]:
    """Per level: sections, passing sections, and per indicator the pupil-weighted county mean
    (Σamount ÷ Σpupils × per_students, in the indicator's unit: 10800 m² ÷ 2300 pupils = 4.6957)
    with the CV and its verdict; plus how many sections fail and which CVs fail.

    `passed[i]` is the per-school verdict of `sections[i]`; `cv` holds the levels present.
    """
    levels: dict[str, Any] = {}
    for level in LEVELS:
        in_level = [(s, ok) for s, ok in zip(sections, passed, strict=True) if s.level == level]
        if not in_level:
            continue
        pupils = sum(s.students for s, _ in in_level)
        indicators = {}
        for spec in catalogue.indicators:
            total = fsum(float(getattr(s, spec.input_field)) for s, _ in in_level)
            figure = cv[level][spec.key]
            indicators[spec.key] = {
                "county_mean": total / pupils * spec.per_students,
                "cv": figure.value,
                "cv_limit": figure.limit,
                "cv_passed": figure.passed,
            }
        levels[level] = {
            "sections": len(in_level),
            "passing_sections": sum(1 for _, ok in in_level if ok),
            "indicators": indicators,
        }
    return {
        "levels": levels,
        "failing_schools": sum(1 for ok in passed if not ok),
        "failing_cv": [dict(item) for item in failing_cv],
    }


def summary_from_documents(
    inputs: Mapping[str, Any], result: Mapping[str, Any], catalogue: Catalogue
) -> dict[str, Any]:
    """The summary of an assessment stored before summaries existed: from its canonical inputs
    (`Assessment.inputs`, parsed) and its answer (`Assessment.result`), both in input order."""
    sections = [
        SectionInput(**{k: v for k, v in row.items() if k != "name"}) for row in inputs["schools"]
    ]
    passed_by_key = {(s["school_code"], s["level"]): bool(s["passed"]) for s in result["schools"]}
    cv = {
        level: {
            key: CvFigure(float(c["value"]), float(c["limit"]), bool(c["passed"]))
            for key, c in by_key.items()
        }
        for level, by_key in result["cv"].items()
    }
    return summarise(
        sections,
        [passed_by_key[(s.school_code, s.level)] for s in sections],
        cv,
        result["resource_allocation"]["failing_cv"],
        catalogue,
    )


def worst_cv(summary: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per level, the indicator with the largest CV relative to its limit (first in catalogue
    order on a tie)."""
    worst: dict[str, dict[str, Any]] = {}
    for level, figures in summary["levels"].items():
        key, found = max(
            figures["indicators"].items(), key=lambda item: item[1]["cv"] / item[1]["cv_limit"]
        )
        worst[level] = {"indicator": key, "value": found["cv"], "limit": found["cv_limit"]}
    return worst
