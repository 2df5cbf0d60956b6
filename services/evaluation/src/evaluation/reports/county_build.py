"""County verdict, trend and roll-up reports: their content as plain data (no I/O).

Every number comes from the answers of `GET …/verdict`, `GET …/trends` and `GET /v1/rollups`
(the same service functions); each report carries the inputs hash(es), catalogue version(s) and
generation time.
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from evaluation.assessment.catalogue import LEVELS, catalogue_by_version
from evaluation.reports.build import LEVEL_ZH, iso_utc, school_year
from evaluation.trends.schemas import RollupRead, TrendsRead
from evaluation.verdict.catalogue import CATALOGUES as VERDICT_CATALOGUES
from evaluation.verdict.catalogue import VerdictCatalogue
from evaluation.verdict.schemas import VerdictRead

VERDICT_TITLE = "县域义务教育优质均衡发展督导评估 — 县域认定报告"
TREND_TITLE = "县域义务教育优质均衡发展 — 资源配置多年趋势"
ROLLUP_TITLE = "县域义务教育优质均衡发展 — 资源配置汇总（市/省）"

VERDICT_ZH = {
    "met": "达到优质均衡",
    "not_met": "未达到优质均衡",
    "incomplete": "资料不全，无法认定",
}
PART_ZH = {
    "resource_allocation": "资源配置",
    "government_assurance": "政府保障程度",
    "education_quality": "教育质量",
    "social_recognition": "社会认可度",
    "eligibility": "申报资格",
    "vetoes": "一票否决",
}
UNIT_ZH = {
    "teachers": "人",
    "m2": "m²",
    "yuan": "元",
    "classrooms": "间",
    "classes": "个班",
    "schools": "所",
    "children": "人",
    "places": "个",
    "pupils": "人",
    "share": "",
    "cv": "",
    "years": "年",
}


MISSING_ZH = {
    "assessment": "资源配置评估",
    "recognition": "社会认可度调查",
    "eligibility": "申报资格（基本均衡认定年份、一票否决）",
}


class Titles:
    """The Chinese titles a reader sees for the verdict's keys: indicators (by the assessment's
    catalogue), 差异系数, and the items of 政府保障程度 and 教育质量 (by the verdict's)."""

    def __init__(self, verdict_version: str, indicator_version: str | None) -> None:
        found = [c for c in VERDICT_CATALOGUES if c.version == verdict_version]
        self._items: VerdictCatalogue | None = found[0] if found else None
        self._indicators: dict[str, str] = {}
        if indicator_version is not None:
            catalogue = catalogue_by_version(indicator_version)
            self._indicators = {spec.key: spec.name_zh for spec in catalogue.indicators}

    def indicator(self, key: str) -> str:
        return self._indicators.get(key, key)

    def item(self, key: str) -> str:
        """`school_size`, `rotation_share.rotated_share` → "11. 教师交流轮岗…"; else the key."""
        if self._items is None:
            return key
        head = key.split(".", 1)[0]
        spec = next((item for item in self._items.items if item.key == head), None)
        return key if spec is None else f"{spec.number}. {spec.title_zh}"

    def failing(self, part: str, key: str) -> str:
        if part == "resource_allocation":
            if key.startswith("cv."):
                return f"{self.indicator(key[3:])} 差异系数"
            return self.indicator(key)
        if part in ("government_assurance", "education_quality"):
            return self.item(key)
        return PART_ZH.get(part, key)

    def missing(self, entry: str) -> str:
        if entry.startswith("items."):
            return self.item(entry[len("items.") :])
        return MISSING_ZH.get(entry, entry)


def _state(met: bool | None) -> str:
    return "met" if met is True else "not_met" if met is False else "missing"


def build_verdict_report(
    verdict: VerdictRead,
    *,
    assessment: Mapping[str, Any] | None,
    names: Mapping[tuple[str, str], str],
    generated_at: datetime,
) -> dict[str, Any]:
    """县域认定报告: the four parts, eligibility and vetoes, every failing item with its gap and
    per failing school its shortfall per indicator. `assessment`: id, inputs_sha256,
    catalogue_version and assessed_at of the assessment the verdict used (None: none yet)."""
    parts = verdict.parts
    recognition = parts.social_recognition
    titles = Titles(
        verdict.catalogue_version, None if assessment is None else assessment["catalogue_version"]
    )
    resources = parts.resource_allocation
    rows = [
        (
            "resource_allocation",
            resources.met,
            "尚无评估"
            if resources.met is None
            else f"未达标学校（学段）{len(resources.failing_schools)} 个；"
            f"未达标差异系数 {len(resources.failing_cv)} 项",
        ),
        (
            "government_assurance",
            parts.government_assurance.met,
            _missing_text(parts.government_assurance.missing, titles),
        ),
        (
            "education_quality",
            parts.education_quality.met,
            _missing_text(parts.education_quality.missing, titles),
        ),
        (
            "social_recognition",
            recognition.met,
            ""
            if recognition.rate is None
            else f"{recognition.rate} (≥ {recognition.threshold})"
            + (
                ""
                if recognition.local_target is None
                else f"；本地目标 {recognition.local_target}（仅报告）"
            ),
        ),
        (
            "eligibility",
            parts.eligibility.met,
            ""
            if parts.eligibility.years_since is None
            else f"基本均衡认定 {parts.eligibility.basic_balance_recognised_year} 年，"
            f"距今 {parts.eligibility.years_since} 年（须 ≥ {parts.eligibility.required_years}）",
        ),
        ("vetoes", not parts.vetoes, "；".join(f"{v.kind}: {v.evidence}" for v in parts.vetoes)),
    ]
    failing_schools = [
        {
            "school_code": school.school_code,
            "name": names.get((school.school_code, school.level), ""),
            "level": school.level,
            "level_zh": LEVEL_ZH[school.level],
            "indicators": [
                {
                    "key": i.key,
                    "title_zh": titles.indicator(i.key),
                    "value": i.value,
                    "threshold": float(i.threshold),
                    "floor": float(i.floor),
                    "below_floor": i.value < float(i.floor),
                    "shortfall": float(i.shortfall),
                    "shortfall_text": _decimal_text(i.shortfall),
                    "unit_zh": UNIT_ZH.get(i.unit, i.unit),
                }
                for i in school.indicators
            ],
        }
        for school in parts.resource_allocation.failing_schools
    ]
    return {
        "title": VERDICT_TITLE,
        "county_code": verdict.county_code,
        "year": verdict.year,
        "school_year": school_year(verdict.year),
        "verdict": verdict.verdict,
        "verdict_zh": VERDICT_ZH[verdict.verdict],
        "missing": list(verdict.missing),
        "missing_zh": [titles.missing(entry) for entry in verdict.missing],
        "catalogue_version": verdict.catalogue_version,
        "assessment_id": None if assessment is None else str(assessment["id"]),
        "assessment_catalogue_version": None
        if assessment is None
        else assessment["catalogue_version"],
        "inputs_sha256": None if assessment is None else assessment["inputs_sha256"],
        "assessed_at": None if assessment is None else iso_utc(assessment["assessed_at"]),
        "generated_at": iso_utc(generated_at),
        "parts": [
            {"part": part, "part_zh": PART_ZH[part], "state": _state(met), "detail": detail}
            for part, met, detail in rows
        ],
        "failing_items": [
            {
                "part": item.part,
                "part_zh": PART_ZH.get(item.part, item.part),
                "key": item.key,
                "title_zh": titles.failing(item.part, item.key),
                "school_code": item.school_code or "",
                "name": names.get((item.school_code or "", item.level or ""), ""),
                "level_zh": LEVEL_ZH.get(item.level or "", ""),
                "gap": None if item.gap is None else float(item.gap),
                "gap_text": "" if item.gap is None else _decimal_text(item.gap),
                "unit_zh": UNIT_ZH.get(item.unit or "", item.unit or ""),
                "detail": str(item.detail),  # the report is in Chinese
            }
            for item in verdict.failing_items
        ],
        "failing_schools": failing_schools,
    }


def _missing_text(missing: list[str], titles: Titles) -> str:
    if not missing:
        return ""
    return f"未录入 {len(missing)} 项：" + "；".join(titles.item(key) for key in missing)


def _decimal_text(value: Decimal) -> str:
    return f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,}"


def _indicators(version: str) -> list[dict[str, Any]]:
    catalogue = catalogue_by_version(version)
    return [
        {
            "key": spec.key,
            "number": spec.number,
            "name_zh": spec.name_zh,
            "unit": spec.unit,
            "thresholds": {level: float(spec.thresholds[level]) for level in LEVELS},
            "cv_limits": {level: float(catalogue.cv_limits[level]) for level in LEVELS},
        }
        for spec in catalogue.indicators
    ]


def build_trend_report(trends: TrendsRead, *, generated_at: datetime) -> dict[str, Any]:
    """多年趋势: per level and indicator, the county mean and 差异系数 of each school year, with
    the threshold and CV limit of that year's catalogue."""
    years = trends.years
    indicators = _indicators(years[-1].catalogue_version) if years else []
    by_year = {y.year: {i["key"]: i for i in _indicators(y.catalogue_version)} for y in years}
    levels = []
    for level in LEVELS:
        if not any(level in y.levels for y in years):
            continue
        levels.append(
            {
                "level": level,
                "level_zh": LEVEL_ZH[level],
                "sections": [
                    (y.year, y.levels[level].sections, y.levels[level].passing_sections)
                    for y in years
                    if level in y.levels
                ],
                "indicators": [
                    indicator
                    | {
                        "points": [
                            {
                                "year": y.year,
                                "mean": y.levels[level].indicators[indicator["key"]].county_mean,
                                "threshold": by_year[y.year][indicator["key"]]["thresholds"][level],
                                "cv": y.levels[level].indicators[indicator["key"]].cv,
                                "cv_limit": by_year[y.year][indicator["key"]]["cv_limits"][level],
                                "cv_passed": y.levels[level].indicators[indicator["key"]].cv_passed,
                            }
                            for y in years
                            if level in y.levels
                        ],
                    }
                    for indicator in indicators
                ],
            }
        )
    return {
        "title": TREND_TITLE,
        "county_code": trends.county_code,
        "span": f"{years[0].year}—{years[-1].year + 1}" if years else "—",
        "generated_at": iso_utc(generated_at),
        "years": [
            {
                "year": y.year,
                "school_year": school_year(y.year),
                "assessment_id": str(y.assessment_id),
                "passed": y.resource_allocation_passed,
                "catalogue_version": y.catalogue_version,
                "inputs_sha256": y.inputs_sha256,
            }
            for y in years
        ],
        "levels": levels,
    }


def build_rollup_report(rollup: RollupRead, *, generated_at: datetime) -> dict[str, Any]:
    """汇总: each county's newest assessment of the year within a city or province."""
    return {
        "title": ROLLUP_TITLE,
        "region_code": rollup.region_code,
        "year": rollup.year,
        "school_year": school_year(rollup.year),
        "generated_at": iso_utc(generated_at),
        "counties_assessed": rollup.counties_assessed,
        "counties_passing": rollup.counties_passing,
        "catalogue_versions": sorted({c.catalogue_version for c in rollup.counties}),
        "counties": [
            {
                "county_code": c.county_code,
                "assessment_id": str(c.assessment_id),
                "passed": c.resource_allocation_passed,
                "failing_schools": c.failing_schools,
                "failing_cv": len(c.failing_cv),
                "worst_cv": {
                    level: {
                        "indicator": w.indicator,
                        "value": w.value,
                        "limit": w.limit,
                        "ratio": w.value / w.limit,
                    }
                    for level, w in c.worst_cv.items()
                },
                "catalogue_version": c.catalogue_version,
                "inputs_sha256": c.inputs_sha256,
            }
            for c in rollup.counties
        ],
    }
