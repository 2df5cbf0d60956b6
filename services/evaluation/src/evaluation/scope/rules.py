"""评估范围 (domain.md §5.1): which sections an assessment takes and how a combined school's
shared resources are split between its parts. A special-education school is never assessed for
资源配置 (national); the teaching-point minimum and the combined-school weights have no national
value, so they apply only when the county has set them (no default here), with the citation it
supplied.

Pure: no I/O. A teaching point (教学点) under `min_pupils` pupils is left out, listed with the
reason. A combined school's shared area and equipment go to its parts in proportion to pupils ×
weight: a nine-year school with A primary and B junior pupils at 1 : 1.1 gives its primary
section S·A / (A + 1.1·B) of a shared amount S. A senior part (complete secondary, twelve-year)
takes its share too but is not assessed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from evaluation.assessment.schemas import (
    AssessmentSectionIn,
    ResourceSectionIn,
    SchoolSectionIn,
    SharedResourcesIn,
)
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated

ScopeKey = Literal["min_pupils_teaching_point", "combined_school_weights"]
SCOPE_KEYS: tuple[ScopeKey, ...] = ("min_pupils_teaching_point", "combined_school_weights")
CombinedKind = Literal["nine_year", "complete_secondary", "twelve_year"]
# the parts each kind of combined school has; "senior" is not assessed (its pupils only weigh)
PARTS: dict[str, tuple[str, ...]] = {
    "nine_year": ("primary", "junior"),
    "complete_secondary": ("junior", "senior"),
    "twelve_year": ("primary", "junior", "senior"),
}
SHARED_FIELDS = ("teaching_auxiliary_area_m2", "sports_venue_area_m2", "equipment_value_yuan")


@dataclass(frozen=True, slots=True)
class RuleInForce:
    key: ScopeKey
    value: Mapping[str, object]  # {"min_pupils": 50} or {kind: {part: Decimal}}
    effective_from: date
    effective_to: date | None
    citation: str


@dataclass(frozen=True, slots=True)
class Excluded:
    school_code: str
    level: str
    name: str
    students: int
    rule: str
    reason: str

    @classmethod
    def of(cls, section: SchoolSectionIn, rule: str, reason: str) -> "Excluded":
        """`section` left out of the assessment by `rule`, for `reason`."""
        return cls(section.school_code, section.level, section.name, section.students, rule, reason)


@dataclass(frozen=True, slots=True)
class Split:
    school_code: str
    kind: str
    shares: dict[str, Decimal]  # part → share of each shared amount (they sum to 1)
    weights: dict[str, Decimal]  # part → the county's pupil weight
    pupils: dict[str, int]  # part → its pupils (senior: the senior_students sent)
    shared: dict[str, float]  # shared field → the amount split (SHARED_FIELDS)


@dataclass(frozen=True, slots=True)
class Scoped:
    sections: list[SchoolSectionIn]  # the sections assessed, in the order sent
    excluded: list[Excluded]
    splits: list[Split]


def apply_scope(
    sections: Sequence[SchoolSectionIn],
    shared: Sequence[SharedResourcesIn],
    *,
    min_pupils: RuleInForce | None,
    weights: RuleInForce | None,
) -> Scoped:
    """The sections an assessment takes: never a special-education school (national, domain.md
    §5.1), then the county's scope rules in force (none: the other sections as sent, and shared
    resources are refused — nothing splits them by default)."""
    ordinary, special = _special_education(sections)
    kept, excluded = _teaching_points(ordinary, min_pupils)
    excluded = special + excluded
    if not shared:
        return Scoped(kept, excluded, [])
    if weights is None:
        raise RuleViolated(
            t(
                "本县未设置用于分摊共用资源的一贯制学校权重",
                "the county has set no combined-school weights to split shared resources",
            ),
            FieldError(
                "shared_resources",
                "combined_school_weights_unset",
                t(
                    "没有国家规定的权重（domain.md §5.1），由本县设置（PUT "
                    "/v1/counties/{county}/scope-rules/combined_school_weights），或上报各学段自"
                    "身的资源",
                    "no national weights exist (domain.md §5.1), so the county sets them "
                    "(PUT /v1/counties/{county}/scope-rules/combined_school_weights) or reports "
                    "each section's own resources",
                ),
            ),
        )
    by_school: dict[str, dict[str, int]] = {}
    for index, section in enumerate(kept):
        by_school.setdefault(section.school_code, {})[section.level] = index
    splits: list[Split] = []
    amounts = [{f: getattr(s, f) for f in SHARED_FIELDS} for s in kept]
    seen: dict[str, int] = {}
    for index, entry in enumerate(shared):
        where = f"shared_resources[{index}]"
        if entry.school_code in seen:
            raise RuleViolated(
                t("同一学校的共用资源被列出两次", "a school's shared resources are listed twice"),
                FieldError(
                    f"{where}.school_code",
                    "shared_school_unique",
                    t(f"与 [{seen[entry.school_code]}] 重复", f"also [{seen[entry.school_code]}]"),
                ),
            )
        seen[entry.school_code] = index
        part_weights = weights.value.get(entry.kind)
        if not isinstance(part_weights, Mapping):
            raise RuleViolated(
                t(
                    f"本县未设置 {entry.kind} 学校的权重",
                    f"the county has set no weights for {entry.kind} schools",
                ),
                FieldError(f"{where}.kind", "combined_school_kind_unset", weights.citation),
            )
        sections_of = by_school.get(entry.school_code, {})
        pupils: dict[str, int] = {}
        for part in PARTS[entry.kind]:
            if part == "senior":
                if entry.senior_students <= 0:
                    raise RuleViolated(
                        t(
                            f"{entry.kind} 学校的高中学生参与分摊",
                            f"a {entry.kind} school's senior pupils weigh in the split",
                        ),
                        FieldError(f"{where}.senior_students", "senior_students_required"),
                    )
                pupils[part] = entry.senior_students
            elif part not in sections_of:
                raise RuleViolated(
                    t(
                        f"学校 {entry.school_code} 没有承担分摊的 {part} 学段",
                        f"school {entry.school_code} has no {part} section to take its share",
                    ),
                    FieldError(
                        f"{where}.school_code",
                        "combined_school_sections",
                        t(
                            f"{entry.kind} 学校应上报其 {'和'.join(PARTS[entry.kind][:2])} 学段",
                            f"a {entry.kind} school sends its "
                            f"{' and '.join(PARTS[entry.kind][:2])} "
                            "sections",
                        ),
                    ),
                )
            else:
                pupils[part] = kept[sections_of[part]].students
        if entry.kind == "nine_year" and entry.senior_students:
            raise RuleViolated(
                t("九年一贯制学校没有高中部", "a nine-year school has no senior part"),
                FieldError(f"{where}.senior_students", "no_senior_part"),
            )
        weight_of = {part: Decimal(str(part_weights[part])) for part in pupils}
        weighted = {part: weight_of[part] * pupils[part] for part in pupils}
        total = sum(weighted.values(), Decimal(0))
        shares = {part: w / total for part, w in weighted.items()}
        shared_amounts = {field: float(getattr(entry, field)) for field in SHARED_FIELDS}
        splits.append(
            Split(entry.school_code, entry.kind, shares, weight_of, pupils, shared_amounts)
        )
        for part, share in shares.items():
            if part == "senior":
                continue
            row = amounts[sections_of[part]]
            for field in SHARED_FIELDS:
                row[field] += getattr(entry, field) * float(share)
    merged = [
        section.model_copy(update=amounts[index]) if section.school_code in seen else section
        for index, section in enumerate(kept)
    ]
    return Scoped(merged, excluded, splits)


SPECIAL_EDUCATION_REASON = (
    "特殊教育学校不参加资源配置评估：评估对象为普通小学、初中及九年一贯制、完全中学"
    "（教督〔2017〕6号；domain.md §5.1）"
)


def _special_education(
    sections: Sequence[SchoolSectionIn],
) -> tuple[list[SchoolSectionIn], list[Excluded]]:
    """Special-education schools (特殊教育学校) are not assessed for 资源配置; they stay in the
    county's data for their own items (e.g. 随班就读, special-education funding)."""
    kept: list[SchoolSectionIn] = []
    excluded: list[Excluded] = []
    for section in sections:
        if (
            isinstance(section, AssessmentSectionIn | ResourceSectionIn)
            and section.special_education
        ):
            excluded.append(
                Excluded.of(section, "special_education_school", SPECIAL_EDUCATION_REASON)
            )
        else:
            kept.append(section)
    if not kept:
        raise RuleViolated(
            t(
                "所有学段均为特殊教育学校：资源配置没有可评估的对象",
                "every section is a special-education school: nothing to assess for 资源配置 "
                "(resource allocation)",
            ),
            FieldError(
                "schools", "no_section_in_scope", t("特殊教育学校", "special_education_school")
            ),
        )
    return kept, excluded


def _teaching_points(
    sections: Sequence[SchoolSectionIn], rule: RuleInForce | None
) -> tuple[list[SchoolSectionIn], list[Excluded]]:
    if rule is None:
        return list(sections), []
    minimum = int(str(rule.value["min_pupils"]))
    kept: list[SchoolSectionIn] = []
    excluded: list[Excluded] = []
    for section in sections:
        # sent in the request (AssessmentSectionIn) or marked in the stored upload
        is_teaching_point = (
            isinstance(section, AssessmentSectionIn | ResourceSectionIn) and section.teaching_point
        )
        if is_teaching_point and section.students < minimum:
            reason = f"教学点 {section.students} 人 < {minimum} 人（{rule.citation}）"
            excluded.append(Excluded.of(section, "min_pupils_teaching_point", reason))
        else:
            kept.append(section)
    if not kept:
        raise RuleViolated(
            t(
                "所有学段均为低于本县最低人数的教学点",
                "every section is a teaching point under the county's minimum",
            ),
            FieldError(
                "schools",
                "no_section_in_scope",
                t(f"教学点最低人数 {minimum}", f"min_pupils_teaching_point {minimum}"),
            ),
        )
    return kept, excluded
