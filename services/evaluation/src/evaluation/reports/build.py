"""资源配置报告: the report's content as plain data, built from a stored assessment (no I/O).

The stored answer (`Assessment.result`) is the single source of every verdict, value and CV; the
canonical inputs add school names and pupils, and the shortfalls of failing sections are computed
with the assessment's own rules and catalogue (`rules.shortfall`, domain.md §5.6).
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from evaluation.assessment import rules
from evaluation.assessment.catalogue import EXACT, LEVELS, Catalogue, plain

TITLE = "县域义务教育优质均衡发展督导评估 — 资源配置报告"
TITLE_EN = "County supervision of balanced compulsory education — resource allocation report"

LEVEL_ZH = {"primary": "小学", "junior": "初中"}

# what a failing section must add, named as in the supervisors' gap tables
RESOURCE_ZH = {
    "teachers_above_required_degree": "高于规定学历教师",
    "backbone_teachers": "县级及以上骨干教师",
    "pe_arts_teachers": "体育、艺术专任教师",
    "teaching_auxiliary_area_m2": "教学及辅助用房",
    "sports_venue_area_m2": "体育运动场馆",
    "equipment_value_yuan": "教学仪器设备",
    "multimedia_classrooms": "网络多媒体教室",
}
SHORTFALL_UNIT_ZH = {"teachers": "人", "m2": "m²", "yuan": "元", "classrooms": "间"}

CENT = Decimal("0.01")


def school_year(year: int) -> str:
    """The school year that starts in `year`: 2025 → 2025—2026学年."""
    return f"{year}—{year + 1}学年"


def iso_utc(moment: datetime) -> str:
    """UTC ISO 8601 to the second; a naive time is taken as UTC (as stored)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def quantity(amount: Decimal, *, whole: bool) -> str:
    """A shortfall for people: whole people and rooms as is, m² and yuan rounded up to 0.01."""
    if whole or amount == amount.to_integral_value():
        return f"{amount.to_integral_value():,}"
    return f"{amount.quantize(CENT, rounding=ROUND_CEILING):,}"


def _section_input(row: Mapping[str, Any]) -> rules.SectionInput:
    return rules.SectionInput(
        school_code=row["school_code"],
        level=row["level"],
        students=int(row["students"]),
        teachers_above_required_degree=int(row["teachers_above_required_degree"]),
        backbone_teachers=int(row["backbone_teachers"]),
        pe_arts_teachers=int(row["pe_arts_teachers"]),
        teaching_auxiliary_area_m2=float(row["teaching_auxiliary_area_m2"]),
        sports_venue_area_m2=float(row["sports_venue_area_m2"]),
        equipment_value_yuan=float(row["equipment_value_yuan"]),
        multimedia_classrooms=int(row["multimedia_classrooms"]),
    )


def _shortfalls(
    row: Mapping[str, Any], school: Mapping[str, Any], catalogue: Catalogue
) -> list[dict[str, Any]]:
    section = _section_input(row)
    found = []
    for spec in catalogue.indicators:
        cell = school["indicators"][spec.key]
        if cell["met"]:
            continue
        amount = rules.shortfall(section, spec.key, catalogue)
        unit = SHORTFALL_UNIT_ZH[spec.shortfall_unit]
        shown = quantity(amount, whole=spec.counts_whole_units)
        found.append(
            {
                "key": spec.key,
                "number": spec.number,
                "name_zh": spec.name_zh,
                "resource_zh": RESOURCE_ZH[spec.input_field],
                "value": cell["value"],
                "threshold": cell["threshold"],
                "within_85": cell["within_85"],
                "amount": float(amount),
                "amount_text": shown,
                "unit_zh": unit,
                "text": f"{RESOURCE_ZH[spec.input_field]} {shown} {unit}",
            }
        )
    return found


def build_report(
    *,
    result: Mapping[str, Any],
    inputs: Mapping[str, Any],
    assessed_at: datetime,
    generated_at: datetime,
    catalogue: Catalogue,
) -> dict[str, Any]:
    """Everything the HTML, PDF and XLSX show, in display order, as plain data."""
    rows = {(row["school_code"], row["level"]): row for row in inputs["schools"]}
    indicators = [
        {
            "key": spec.key,
            "number": spec.number,
            "name_zh": spec.name_zh,
            "unit": spec.unit,
            "thresholds": {level: float(spec.thresholds[level]) for level in LEVELS},
            "floors": {level: float(catalogue.floor(spec.key, level)) for level in LEVELS},
        }
        for spec in catalogue.indicators
    ]
    names = {spec.key: spec.name_zh for spec in catalogue.indicators}
    levels = []
    failing = []
    for level in LEVELS:
        schools = []
        for school in result["schools"]:
            if school["level"] != level:
                continue
            row = rows[(school["school_code"], level)]
            entry = {
                "school_code": school["school_code"],
                "name": row["name"],
                "students": row["students"],
                "indicators": school["indicators"],
                "met_count": school["met_count"],
                "passed": school["passed"],
            }
            schools.append(entry)
            if not school["passed"]:
                shortfalls = _shortfalls(row, school, catalogue)
                failing.append(
                    {
                        **{k: entry[k] for k in ("school_code", "name", "students", "met_count")},
                        "level": level,
                        "level_zh": LEVEL_ZH[level],
                        "below_85": [s["key"] for s in shortfalls if not s["within_85"]],
                        "needed_to_pass": max(0, catalogue.min_met - school["met_count"]),
                        "shortfalls": shortfalls,
                        "text": "需增加" + " / ".join(s["text"] for s in shortfalls),
                    }
                )
        if not schools:
            continue
        levels.append(
            {
                "level": level,
                "level_zh": LEVEL_ZH[level],
                "sections": len(schools),
                "sections_passed": sum(1 for s in schools if s["passed"]),
                "schools": schools,
                "cv": [
                    {"key": key, "number": i + 1, "name_zh": names[key], **cv}
                    for i, (key, cv) in enumerate(result["cv"].get(level, {}).items())
                ],
            }
        )
    allocation = result["resource_allocation"]
    return {
        "title": TITLE,
        "title_en": TITLE_EN,
        "assessment_id": result["id"],
        "county_code": result["county_code"],
        "year": result["year"],
        "school_year": school_year(result["year"]),
        "assessed_at": iso_utc(assessed_at),
        "generated_at": iso_utc(generated_at),
        "catalogue_version": result["catalogue_version"],
        "catalogue_source": catalogue.source,
        "min_met": catalogue.min_met,
        "indicator_count": len(catalogue.indicators),
        "floor_percent": str(plain(EXACT.multiply(catalogue.floor_ratio, Decimal(100)))),
        "inputs_sha256": result["inputs_sha256"],
        "passed": allocation["passed"],
        "verdict_zh": "达标" if allocation["passed"] else "未达标",
        "indicators": indicators,
        "levels": levels,
        "failing_schools": failing,
        "failing_cv": [
            {
                "level": item["level"],
                "level_zh": LEVEL_ZH[item["level"]],
                "key": item["indicator"],
                "name_zh": names[item["indicator"]],
                **result["cv"][item["level"]][item["indicator"]],
            }
            for item in allocation["failing_cv"]
        ],
    }
