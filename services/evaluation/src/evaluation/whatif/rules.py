"""What-if scenarios and the cheapest fix: pure functions over `assessment.rules` inputs.

A scenario is a list of changes applied in order to the sections of a stored assessment; the
result is re-assessed with `evaluation.assessment.rules.assess`, the official code path. The
cheapest fix is a greedy plan of additions that makes every failing section pass the per-school
rule (domain.md §5.2; amounts as in §5.6: whole teachers and rooms). Nothing here does I/O.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Context, Decimal, InvalidOperation
from math import ceil
from typing import Literal

from evaluation.assessment.catalogue import EXACT, Catalogue, IndicatorSpec, Level, plain
from evaluation.assessment.rules import AssessmentOutcome, SectionInput, SectionOutcome, assess
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated

TeacherKind = Literal["above_required_degree", "backbone", "pe_arts"]

# the SectionInput field each kind of teacher is counted in (indicators 1, 2 and 3)
TEACHER_FIELDS: Mapping[TeacherKind, str] = {
    "above_required_degree": "teachers_above_required_degree",
    "backbone": "backbone_teachers",
    "pe_arts": "pe_arts_teachers",
}

# SectionInput resource fields that count people or rooms (ints); the others are m² or yuan
COUNT_FIELDS = frozenset({*TEACHER_FIELDS.values(), "multimedia_classrooms"})

# areas and money in a fix are rounded up to this step (m², yuan)
CENT = Decimal("0.01")
_ROUND_UP = Context(prec=2000, rounding=ROUND_CEILING, traps=[InvalidOperation])
_RANK = Context(prec=50, traps=[InvalidOperation])  # for ordering shortfalls only


@dataclass(frozen=True, slots=True)
class MoveTeachers:
    """Move `count` teachers of one kind from one section to another.

    One teacher may count in several kinds (a backbone teacher with a bachelor's degree is in
    indicators 1 and 2): moving N of one kind changes only that kind's count, in both sections.
    To move such a teacher whole, send one change per kind. Between levels, the caller vouches
    that the teachers count at the destination (本科 for junior, 专科 for primary, indicator 1).
    """

    from_school: str
    from_level: Level
    to_school: str
    to_level: Level
    teacher_kind: TeacherKind
    count: int  # ≥ 1 (schema)


@dataclass(frozen=True, slots=True)
class AddResources:
    """Add to one section's resources: SectionInput field → amount (≥ 0; ints for counts)."""

    school_code: str
    level: Level
    additions: Mapping[str, int | float]


@dataclass(frozen=True, slots=True)
class SetStudents:
    """Change one section's enrollment (在校生数); every per-pupil value follows."""

    school_code: str
    level: Level
    students: int  # > 0 (schema)


Change = MoveTeachers | AddResources | SetStudents


@dataclass(frozen=True, slots=True)
class ChangedSection:
    school_code: str
    level: Level
    before_passed: bool
    after_passed: bool
    before_met_count: int
    after_met_count: int


@dataclass(frozen=True, slots=True)
class SectionFix:
    school_code: str
    level: Level
    additions: dict[str, int | Decimal]  # SectionInput field → amount, in catalogue order


@dataclass(frozen=True, slots=True)
class FixPlan:
    method: str
    sections: list[SectionFix]  # failing sections, in input order
    totals: dict[str, int | Decimal]  # field → sum over sections, catalogue order, only > 0
    resulting: AssessmentOutcome  # the sections with every addition applied, assessed


def apply_changes(
    sections: Sequence[SectionInput], changes: Sequence[Change]
) -> list[SectionInput]:
    """The sections after every change, applied in order (each sees the previous ones' result).

    A section is named by (school code, level). Errors name the change and field: an unknown
    school is `changes[i].<school field>` `school_in_assessment`, a known school without that
    level `changes[i].<level field>` `section_in_assessment`; a move within one section is
    `changes[i].to_school` `distinct_sections`; moving more teachers of a kind than the source
    has at that point is `changes[i].count` `teachers_available`.
    """
    current = list(sections)
    index = {(section.school_code, section.level): at for at, section in enumerate(sections)}
    codes = {section.school_code for section in sections}

    def locate(i: int, school_field: str, level_field: str, code: str, level: Level) -> int:
        found = index.get((code, level))
        if found is not None:
            return found
        if code not in codes:
            error = FieldError(
                f"changes[{i}].{school_field}",
                "school_in_assessment",
                t(f"学校 {code} 不在本次评估中", f"school {code} is not in this assessment"),
            )
        else:
            error = FieldError(
                f"changes[{i}].{level_field}",
                "section_in_assessment",
                t(
                    f"学校 {code} 在本次评估中没有 {level} 学段",
                    f"school {code} has no {level} section in this assessment",
                ),
            )
        raise RuleViolated(
            t(
                "变更所指的学段不在本次评估中",
                "a change names a section the assessment does not have",
            ),
            error,
        )

    for i, change in enumerate(changes):
        if isinstance(change, MoveTeachers):
            source = locate(i, "from_school", "from_level", change.from_school, change.from_level)
            target = locate(i, "to_school", "to_level", change.to_school, change.to_level)
            if source == target:
                raise RuleViolated(
                    t(
                        "教师只能在两个不同的学段之间调动",
                        "teachers can only move between two different sections",
                    ),
                    FieldError(
                        f"changes[{i}].to_school",
                        "distinct_sections",
                        t(
                            f"调出与调入均为 {change.from_school} {change.from_level}",
                            f"from and to are both {change.from_school} {change.from_level}",
                        ),
                    ),
                )
            field = TEACHER_FIELDS[change.teacher_kind]
            available: int = getattr(current[source], field)
            if change.count > available:
                raise RuleViolated(
                    t("调出的教师多于该学段现有人数", "more teachers moved than the section has"),
                    FieldError(
                        f"changes[{i}].count",
                        "teachers_available",
                        t(
                            f"{change.from_school} {change.from_level} 此时有 {available} 名 "
                            f"{field}，无法调动 {change.count} 名",
                            f"{change.from_school} {change.from_level} has {available} {field} "
                            f"at this point; cannot move {change.count}",
                        ),
                    ),
                )
            current[source] = add_resources(current[source], {field: -change.count})
            current[target] = add_resources(current[target], {field: change.count})
        elif isinstance(change, AddResources):
            at = locate(i, "school_code", "level", change.school_code, change.level)
            current[at] = add_resources(current[at], change.additions)
        else:
            at = locate(i, "school_code", "level", change.school_code, change.level)
            current[at] = replace(current[at], students=change.students)
    return current


def add_resources(section: SectionInput, additions: Mapping[str, int | float]) -> SectionInput:
    """The section with amounts added: counts stay whole (int + int), m² and yuan as floats."""
    changed: dict[str, int | float] = {}
    for field, amount in additions.items():
        value: int | float = getattr(section, field)
        if field in COUNT_FIELDS:
            changed[field] = int(value) + int(amount)
        else:
            changed[field] = float(value) + float(amount)
    return replace(section, **changed)  # type: ignore[arg-type]


def changed_sections(
    before: Sequence[SectionInput],
    after: Sequence[SectionInput],
    before_outcome: AssessmentOutcome,
    after_outcome: AssessmentOutcome,
) -> list[ChangedSection]:
    """Sections whose inputs the scenario changed, in input order, with both verdicts."""
    return [
        ChangedSection(
            old.school_code,
            old.level,
            was.passed,
            now.passed,
            was.met_count,
            now.met_count,
        )
        for old, new, was, now in zip(
            before, after, before_outcome.sections, after_outcome.sections, strict=True
        )
        if old != new
    ]


def method(catalogue: Catalogue) -> str:
    """The algorithm of `cheapest_fix` in one sentence, for the answer."""
    return (
        "greedy: for each failing section, first raise every indicator below its "
        f"{plain(catalogue.floor_ratio * 100)} % floor to that floor, then, while fewer than "
        f"{catalogue.min_met} of {len(catalogue.indicators)} indicators meet their thresholds, "
        "raise the unmet one with the smallest relative shortfall (threshold − value) / "
        "threshold to its threshold; additions only (no moves, enrollment unchanged), whole "
        "teachers and classrooms, m² and yuan rounded up to 0.01, and the county CVs are not "
        "targeted"
    )


def cheapest_fix(
    sections: Sequence[SectionInput], outcome: AssessmentOutcome, catalogue: Catalogue
) -> FixPlan:
    """最少补充: for every section failing the per-school rule, the smallest additions that pass it.

    Greedy, per section (sections are independent under the per-school rule):
    1. every indicator below its 85 % floor is raised to the floor (the rule requires it);
    2. while fewer than `min_met` indicators meet their threshold, the unmet indicator with the
       smallest relative shortfall (threshold − value) / threshold, measured after step 1, is
       raised to its threshold (ties: catalogue order).
    Relative shortfall stands in for cost, as teachers, m² and yuan have no common price. Amounts
    are exact (`addition_to_reach`): whole teachers and rooms (domain.md §5.6), m² and yuan
    rounded up to 0.01, checked against the same exact comparison `assess` makes. Not a proven
    optimum: moves between schools and the county CVs are outside it. `resulting` re-assesses
    every section with its additions: each listed section passes; the CVs are what they become.
    """
    fixes: list[SectionFix] = []
    fixed = list(sections)
    for at, (section, result) in enumerate(zip(sections, outcome.sections, strict=True)):
        if result.passed:
            continue
        additions = section_additions(section, result, catalogue)
        fixes.append(SectionFix(section.school_code, section.level, additions))
        fixed[at] = add_resources(section, _as_numbers(additions))
    totals: dict[str, int | Decimal] = {}
    for spec in catalogue.indicators:
        field = spec.input_field
        amounts = [fix.additions[field] for fix in fixes if field in fix.additions]
        if amounts:
            totals[field] = sum(amounts, start=_zero(spec))
    return FixPlan(method(catalogue), fixes, totals, assess(fixed, catalogue))


def section_additions(
    section: SectionInput, result: SectionOutcome, catalogue: Catalogue
) -> dict[str, int | Decimal]:
    """The greedy additions of `cheapest_fix` for one section (empty when it passes)."""
    if result.passed:
        return {}
    level = section.level
    added: dict[str, int | Decimal] = {}  # spec.key → addition
    met: dict[str, bool] = {key: indicator.met for key, indicator in result.indicators.items()}
    for spec in catalogue.indicators:  # step 1: nothing below its floor
        if not result.indicators[spec.key].within_85:
            addition = addition_to_reach(section, spec, catalogue.floor(spec.key, level))
            added[spec.key] = addition
            met[spec.key] = _reaches(section, spec, spec.thresholds[level], addition)
    missing = catalogue.min_met - sum(met.values())
    if missing > 0:  # step 2: the cheapest unmet indicators up to their thresholds
        unmet = [spec for spec in catalogue.indicators if not met[spec.key]]
        unmet.sort(key=lambda spec: relative_shortfall(section, spec, added.get(spec.key, 0)))
        for spec in unmet[:missing]:
            added[spec.key] = addition_to_reach(section, spec, spec.thresholds[level])
    return {spec.input_field: added[spec.key] for spec in catalogue.indicators if spec.key in added}


def addition_to_reach(section: SectionInput, spec: IndicatorSpec, bound: Decimal) -> int | Decimal:
    """The least addition that brings one indicator of a section to `bound`.

    Teachers and rooms: ceil(bound × pupils / per_students) − count (as `rules.shortfall`). m² and
    yuan: bound × pupils − amount as written (its shortest decimal form: 1400.3, not the binary
    1400.2999…), rounded up to 0.01; then 0.01 more while the float sum (how a scenario adds it)
    would still fall short in `assess`'s exact comparison.
    """
    amount = getattr(section, spec.input_field)
    needed = EXACT.divide(
        EXACT.multiply(bound, Decimal(section.students)), Decimal(spec.per_students)
    )
    if spec.counts_whole_units:
        return max(ceil(needed) - int(amount), 0)
    missing = EXACT.subtract(needed, Decimal(repr(float(amount))))
    addition = max(plain(missing.quantize(CENT, context=_ROUND_UP)), Decimal(0))
    while not _reaches(section, spec, bound, addition):  # float rounding of the sum
        addition = plain(EXACT.add(addition, CENT))
    return addition


def relative_shortfall(section: SectionInput, spec: IndicatorSpec, added: int | Decimal) -> Decimal:
    """(threshold − value) / threshold of one indicator after `added`; ≤ 0 when met.

    To 50 significant digits: equal ratios (a tie, broken by catalogue order) come out equal, and
    distinct ones are ranked apart unless they agree to 50 digits.
    """
    threshold = spec.thresholds[section.level]
    amount = Decimal(_plus(getattr(section, spec.input_field), added, spec))
    reached = _RANK.divide(
        _RANK.multiply(amount, Decimal(spec.per_students)),
        _RANK.multiply(threshold, Decimal(section.students)),
    )
    return _RANK.subtract(Decimal(1), reached)


def _reaches(
    section: SectionInput, spec: IndicatorSpec, bound: Decimal, added: int | Decimal
) -> bool:
    """amount × per_students ≥ bound × pupils after the addition, decided exactly as `assess`."""
    amount = _plus(getattr(section, spec.input_field), added, spec)
    return EXACT.multiply(Decimal(amount), Decimal(spec.per_students)) >= EXACT.multiply(
        bound, Decimal(section.students)
    )


def _plus(value: int | float, added: int | Decimal, spec: IndicatorSpec) -> int | float:
    # the arithmetic of add_resources: int + int for counts, float + float for m² and yuan
    if spec.counts_whole_units:
        return int(value) + int(added)
    return float(value) + float(added)


def _as_numbers(additions: Mapping[str, int | Decimal]) -> dict[str, int | float]:
    return {
        field: amount if isinstance(amount, int) else float(amount)
        for field, amount in additions.items()
    }


def _zero(spec: IndicatorSpec) -> int | Decimal:
    return 0 if spec.counts_whole_units else Decimal(0)
