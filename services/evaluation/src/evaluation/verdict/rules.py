"""县域优质均衡认定: item evaluation, social recognition, eligibility and the county verdict.

Pure functions: policy values come in as catalogue rows, nothing here does I/O. Comparisons are
exact (Decimal and Fraction); 以上/不低于 is ≥, 不超过 is ≤ (domain.md, top; §5.4–§5.6).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction
from math import ceil
from typing import Any, Literal

from evaluation.assessment.catalogue import EXACT, plain
from evaluation.verdict.catalogue import (
    PARTS,
    Criterion,
    ItemSpec,
    MeasureKind,
    Part,
    RecognitionGroup,
    VerdictCatalogue,
)
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated

Finding = Literal["met", "not_met"]
Basis = Literal["measured", "finding"]
Verdict = Literal["met", "not_met", "incomplete"]

# shares and gaps are reported to 6 decimal places; every decision is taken on the exact value
_SHOWN = Decimal("0.000001")
_WIDE = Context(prec=50)
WEIGHT_TOLERANCE = Decimal("1e-9")
RECOGNITION_VETO = "recognition_below_threshold"


@dataclass(frozen=True, slots=True)
class CriterionOutcome:
    name: str
    value: Decimal  # shares rounded to 6 places for display; the decision used the exact value
    comparator: str
    threshold: Decimal
    unit: str
    met: bool
    gap: Decimal | None  # how far from the threshold, in `unit`; None when met
    missing: Decimal | None  # what to add to the numerator (whole counts round up); None if met
    missing_unit: str | None


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    key: str
    part: Part
    met: bool
    basis: Basis
    criteria: tuple[CriterionOutcome, ...]  # empty when the finding decided
    finding: Finding | None
    finding_overridden: bool  # a finding disagreeing with the measured values, which decided


@dataclass(frozen=True, slots=True)
class GroupCount:
    group: RecognitionGroup
    respondents: int  # > 0
    satisfied: int  # 0 ≤ satisfied ≤ respondents


@dataclass(frozen=True, slots=True)
class RecognitionOutcome:
    rate: Fraction  # exact
    method: Literal["pooled", "weighted"]
    threshold: Decimal
    met: bool  # rate ≥ threshold: decides the verdict
    local_target: Decimal | None
    met_local_target: bool | None  # reported only; never decides the verdict


@dataclass(frozen=True, slots=True)
class EligibilityOutcome:
    met: bool
    basic_balance_recognised_year: int
    years_since: int
    required_years: int


@dataclass(frozen=True, slots=True)
class CountyVerdict:
    verdict: Verdict
    missing: tuple[str, ...]  # "assessment", "items.<key>", "recognition", "eligibility"
    parts_met: dict[str, bool | None]  # None: cannot be judged yet
    missing_items: dict[Part, tuple[str, ...]]
    vetoes: tuple[str, ...]  # the reported kinds, then the derived recognition veto


def shown(value: Decimal | Fraction) -> Decimal:
    """A share or gap as reported: 6 decimal places, half-even (2/12 → 0.166667)."""
    if isinstance(value, Fraction):
        value = _WIDE.divide(Decimal(value.numerator), Decimal(value.denominator))
    return plain(value.quantize(_SHOWN, context=_WIDE))


def evaluate_item(
    spec: ItemSpec, *, measured: Mapping[str, Decimal] | None, finding: Finding | None
) -> ItemOutcome:
    """One item of 政府保障程度 / 教育质量 (domain.md §5.4, §5.5).

    Measured values decide when the catalogue can judge them; a reviewer finding decides a
    qualitative item, an item whose thresholds are UNCONF, or a measurable item sent without
    numbers. When both are sent and disagree, the measured values decide and the outcome says so.
    """
    if spec.kind is not MeasureKind.MEASURED:
        if measured is not None:
            rule = (
                "qualitative_item"
                if spec.kind is MeasureKind.QUALITATIVE
                else "threshold_unconfirmed"
            )
            raise RuleViolated(
                t(
                    f"{spec.key} 由评审结论判定，而非计量值",
                    f"{spec.key} is judged by a reviewer finding, not by measured values",
                ),
                FieldError("measured", rule, spec.standard or spec.title_zh),
            )
        if finding is None:
            raise RuleViolated(
                t(f"{spec.key} 需要评审结论", f"{spec.key} needs a reviewer finding"),
                FieldError(
                    "finding",
                    "finding_required",
                    t("达标（met）或未达标（not_met）", "met or not_met"),
                ),
            )
        return ItemOutcome(spec.key, spec.part, finding == "met", "finding", (), finding, False)
    if measured is None:
        if finding is None:
            raise RuleViolated(
                t(
                    f"{spec.key} 需要计量值或评审结论",
                    f"{spec.key} needs measured values or a reviewer finding",
                ),
                FieldError(
                    "measured", "measured_or_finding_required", ", ".join(sorted(spec.fields))
                ),
            )
        return ItemOutcome(spec.key, spec.part, finding == "met", "finding", (), finding, False)
    _check_fields(spec, measured)
    outcomes = tuple(
        _judge(criterion, measured)
        for criterion in spec.criteria
        if not criterion.optional or criterion.numerator in measured
    )
    met = all(outcome.met for outcome in outcomes)
    overridden = finding is not None and (finding == "met") != met
    return ItemOutcome(spec.key, spec.part, met, "measured", outcomes, finding, overridden)


def _check_fields(spec: ItemSpec, measured: Mapping[str, Decimal]) -> None:
    unknown = sorted(set(measured) - spec.fields)
    if unknown:
        raise RuleViolated(
            t(
                f"{spec.key} 不计量 {', '.join(unknown)}",
                f"{spec.key} does not measure {', '.join(unknown)}",
            ),
            *(
                FieldError(
                    f"measured.{name}", "measure_field_unknown", ", ".join(sorted(spec.fields))
                )
                for name in unknown
            ),
        )
    for criterion in spec.criteria:
        if criterion.optional and not any(name in measured for name in criterion.fields):
            continue
        for name in criterion.fields:
            if name not in measured:
                raise RuleViolated(
                    t(f"{spec.key} 需要 {name}", f"{spec.key} needs {name}"),
                    FieldError(f"measured.{name}", "measure_field_required"),
                )
        if criterion.denominator is not None and measured[criterion.denominator] <= 0:
            raise RuleViolated(
                t(
                    f"{criterion.denominator} 必须为正数",
                    f"{criterion.denominator} must be positive",
                ),
                FieldError(f"measured.{criterion.denominator}", "denominator_positive"),
            )


def _judge(criterion: Criterion, measured: Mapping[str, Decimal]) -> CriterionOutcome:
    numerator = measured[criterion.numerator]
    threshold = criterion.threshold
    if criterion.denominator is None:
        value: Decimal | Fraction = numerator
        met = (
            numerator >= threshold if criterion.comparator == "at_least" else numerator <= threshold
        )
        gap = (
            EXACT.subtract(threshold, numerator)
            if criterion.comparator == "at_least"
            else (EXACT.subtract(numerator, threshold))
        )
        return CriterionOutcome(
            criterion.name,
            plain(numerator),
            criterion.comparator,
            threshold,
            criterion.unit,
            met,
            None if met else plain(gap),
            None,
            None,
        )
    denominator = measured[criterion.denominator]
    value = Fraction(numerator) / Fraction(denominator)
    needed = EXACT.multiply(threshold, denominator)  # exact: 0.20 × 12 = 2.40
    if criterion.comparator == "at_least":
        met = numerator >= needed
        missing = EXACT.subtract(Decimal(ceil(needed)) if criterion.whole else needed, numerator)
    else:
        met = numerator <= needed
        missing = EXACT.subtract(numerator, Decimal(int(needed)) if criterion.whole else needed)
    share_gap = (
        Fraction(threshold) - value
        if criterion.comparator == "at_least"
        else value - Fraction(threshold)
    )
    return CriterionOutcome(
        criterion.name,
        shown(value),
        criterion.comparator,
        threshold,
        criterion.unit,
        met,
        None if met else shown(share_gap),
        None if met else plain(missing),
        criterion.missing_unit,
    )


def recognition_rate(
    groups: Sequence[GroupCount], weights: Mapping[str, Decimal] | None = None
) -> Fraction:
    """社会认可度: pooled Σsatisfied ÷ Σrespondents, or Σ weight × satisfied ÷ respondents per
    group when weights are given (weighting is PARAM, domain.md §5.6). Exact."""
    _check_groups(groups)
    if weights is None:
        return Fraction(sum(g.satisfied for g in groups), sum(g.respondents for g in groups))
    _check_weights(groups, weights)
    return sum(
        (Fraction(weights[g.group]) * Fraction(g.satisfied, g.respondents) for g in groups),
        Fraction(0),
    )


def assess_recognition(
    groups: Sequence[GroupCount],
    weights: Mapping[str, Decimal] | None,
    *,
    threshold: Decimal,
    local_target: Decimal | None,
) -> RecognitionOutcome:
    """The rate against the national threshold (decides) and a local plan target (reported)."""
    rate = recognition_rate(groups, weights)
    return RecognitionOutcome(
        rate=rate,
        method="pooled" if weights is None else "weighted",
        threshold=threshold,
        met=rate >= Fraction(threshold),
        local_target=local_target,
        met_local_target=None if local_target is None else rate >= Fraction(local_target),
    )


def _check_groups(groups: Sequence[GroupCount]) -> None:
    if not groups:
        raise RuleViolated(
            t("没有受访群体", "no respondent groups"), FieldError("groups", "groups_required")
        )
    seen: dict[str, int] = {}
    for index, group in enumerate(groups):
        if group.group in seen:
            raise RuleViolated(
                t("同一受访群体被列出两次", "a respondent group is listed twice"),
                FieldError(
                    f"groups[{index}].group",
                    "group_unique",
                    t(f"与 groups[{seen[group.group]}] 重复", f"also groups[{seen[group.group]}]"),
                ),
            )
        seen[group.group] = index
        if group.respondents <= 0:
            raise RuleViolated(
                t("受访人数必须为正数", "respondents must be positive"),
                FieldError(f"groups[{index}].respondents", "respondents_positive"),
            )
        if not 0 <= group.satisfied <= group.respondents:
            raise RuleViolated(
                t(
                    "满意人数必须在 0 与受访人数之间",
                    "satisfied must lie between 0 and the respondents",
                ),
                FieldError(
                    f"groups[{index}].satisfied",
                    "satisfied_within_respondents",
                    t(
                        f"{group.respondents} 人中 {group.satisfied} 人",
                        f"{group.satisfied} of {group.respondents}",
                    ),
                ),
            )


def _check_weights(groups: Sequence[GroupCount], weights: Mapping[str, Decimal]) -> None:
    present = {g.group for g in groups}
    if set(weights) != present:
        raise RuleViolated(
            t("权重必须恰好对应所调查的群体", "weights must name exactly the groups surveyed"),
            FieldError("weights", "weights_match_groups", ", ".join(sorted(present))),
        )
    for name, weight in weights.items():
        if weight < 0:
            raise RuleViolated(
                t("权重为负数", "a weight is negative"),
                FieldError(f"weights.{name}", "weight_non_negative"),
            )
    total = sum(weights.values(), Decimal(0))
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise RuleViolated(
            t("权重之和必须为 1", "weights must sum to 1"),
            FieldError(
                "weights",
                "weights_sum_to_one",
                t(f"权重之和为 {plain(total)}", f"they sum to {plain(total)}"),
            ),
        )


def assess_eligibility(
    basic_balance_recognised_year: int, year: int, *, required_years: int
) -> EligibilityOutcome:
    """申报资格: national basic-balance recognition at least `required_years` before the year
    assessed (seed 002; domain.md §5.6). 2022 recognised, 2025 assessed: 3 years, eligible."""
    years_since = year - basic_balance_recognised_year
    return EligibilityOutcome(
        met=years_since >= required_years,
        basic_balance_recognised_year=basic_balance_recognised_year,
        years_since=years_since,
        required_years=required_years,
    )


def combine(
    catalogue: VerdictCatalogue,
    *,
    resource_allocation_met: bool | None,
    items: Mapping[str, ItemOutcome],
    recognition: RecognitionOutcome | None,
    eligibility: EligibilityOutcome | None,
    vetoes: Sequence[str],
) -> CountyVerdict:
    """县域认定: eligible ∧ no veto ∧ R ∧ G ∧ Q ∧ recognition ≥ threshold (domain.md §5.6).

    Anything needed and not yet stored makes the verdict "incomplete", whatever else fails;
    recognition below the threshold is also reported as a veto (一票否决).
    """
    missing: list[str] = []
    if resource_allocation_met is None:
        missing.append("assessment")
    parts_met: dict[str, bool | None] = {"resource_allocation": resource_allocation_met}
    missing_items: dict[Part, tuple[str, ...]] = {}
    for part in PARTS:
        specs = catalogue.items_of(part)
        absent = tuple(spec.key for spec in specs if spec.key not in items)
        missing_items[part] = absent
        missing.extend(f"items.{key}" for key in absent)
        failing = any(not items[spec.key].met for spec in specs if spec.key in items)
        parts_met[part] = False if failing else (None if absent else True)
    if recognition is None:
        missing.append("recognition")
    parts_met["social_recognition"] = None if recognition is None else recognition.met
    if eligibility is None:
        missing.append("eligibility")
    parts_met["eligibility"] = None if eligibility is None else eligibility.met
    all_vetoes = tuple(vetoes) + (
        (RECOGNITION_VETO,) if recognition is not None and not recognition.met else ()
    )
    if missing:
        verdict: Verdict = "incomplete"
    elif all_vetoes or not all(parts_met.values()):
        verdict = "not_met"
    else:
        verdict = "met"
    return CountyVerdict(verdict, tuple(missing), parts_met, missing_items, all_vetoes)


def resource_failures(result: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(part, key, school, level) of every resource-allocation failure the verdict lists, from a
    stored assessment result: each unmet indicator of a failing section, then each failing
    差异系数 as `cv.<indicator>` (no school)."""
    allocation = result["resource_allocation"]
    failing = {(f["school_code"], f["level"]) for f in allocation["failing_schools"]}
    out = [
        ("resource_allocation", key, school["school_code"], school["level"])
        for school in result["schools"]
        if (school["school_code"], school["level"]) in failing
        for key, indicator in school["indicators"].items()
        if not indicator["met"]
    ]
    out += [
        ("resource_allocation", f"cv.{cv['indicator']}", "", cv["level"])
        for cv in allocation["failing_cv"]
    ]
    return out
