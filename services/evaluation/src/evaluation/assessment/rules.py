"""资源配置评估: the seven resource indicators per school section and the county 差异系数.

Pure functions: policy values come in as a `Catalogue`, nothing here does I/O. Sources:
教督〔2017〕6号 (thresholds, the 6-of-7 and 85% rule, CV limits) and 教督〔2012〕3号 (pupil-weighted
CV); domain.md §5.2, §5.3, §5.6.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import ceil
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.assessment.catalogue import EXACT, LEVELS, Catalogue, IndicatorSpec, Level, plain
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# A float comparison of amount × per with threshold × pupils is off by at most ~3 ulp (2^-53 each
# for the product, float(threshold) and its product). Cells closer than this relative margin are
# re-decided exactly; all others already have the exact answer.
_UNDECIDED_MARGIN = 1e-12


@dataclass(frozen=True, slots=True)
class SectionInput:
    """One school section's resources (a nine-year school is a primary and a junior section)."""

    school_code: str
    level: Level
    students: int  # > 0, enforced by the schema
    teachers_above_required_degree: int
    backbone_teachers: int
    pe_arts_teachers: int
    teaching_auxiliary_area_m2: float  # finite, ≥ 0 (schema)
    sports_venue_area_m2: float
    equipment_value_yuan: float
    multimedia_classrooms: int


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    value: float  # amount ÷ pupils × per_students, unrounded
    threshold: Decimal
    met: bool  # value ≥ threshold, decided exactly
    within_85: bool  # value ≥ threshold × floor_ratio, decided exactly; True when met


@dataclass(frozen=True, slots=True)
class SectionOutcome:
    school_code: str
    level: Level
    indicators: dict[str, IndicatorResult]  # in catalogue (INDICATOR_KEYS) order
    met_count: int
    passed: bool  # met_count ≥ min_met and every indicator within_85


@dataclass(frozen=True, slots=True)
class CvResult:
    value: float  # pupil-weighted 差异系数, unrounded
    limit: Decimal
    passed: bool  # value ≤ limit


@dataclass(frozen=True, slots=True)
class AssessmentOutcome:
    sections: list[SectionOutcome]  # input order
    cv: dict[Level, dict[str, CvResult]]  # levels present in the input, primary first
    resource_allocation_passed: bool  # every section passed and every CV within its limit
    failing_schools: list[dict[str, str]]  # {"school_code", "level"}, input order
    failing_cv: list[dict[str, str]]  # {"level", "indicator"}


def coefficient_of_variation(
    students: Sequence[int] | npt.NDArray[Any],
    amounts: Sequence[float] | npt.NDArray[Any],
    *,
    what: str = "",
) -> float:
    """差异系数: pupil-weighted coefficient of variation of one indicator across sections.

    X̄ = Σamount / Σpupils; S = √(Σ (P_i/P)(X_i − X̄)²), population form (no n − 1); CV = S / X̄,
    unrounded; one section gives 0. 教督〔2012〕3号 / 教督〔2017〕6号, domain.md §5.3. `amounts` are
    section totals (m², yuan, teachers); the per-100 scaling cancels out. `what` names the indicator
    and level in the error when X̄ is 0.
    """
    pupils = np.asarray(students, dtype=np.float64)
    totals = np.asarray(amounts, dtype=np.float64).reshape(-1, 1)
    cv, mean = _weighted_cv(pupils, totals)
    if not mean[0] > 0:
        raise _mean_not_positive(what)
    return float(cv[0])


def assess(sections: Sequence[SectionInput], catalogue: Catalogue) -> AssessmentOutcome:
    """资源配置: the seven indicators of every section, the per-school rule and the county CVs.

    A section passes when at least `min_met` indicators meet their threshold and every indicator is
    at least `floor_ratio` of it (达到 N 以上 is ≥ N); the county passes resource allocation when
    every section passes and every indicator's CV per level is within its limit (domain.md §5.2,
    §5.3, §5.6). Threshold comparisons are exact; values and CVs are unrounded floats.
    """
    specs = catalogue.indicators
    keys = [spec.key for spec in specs]
    count = len(sections)
    read_amounts = attrgetter(*(spec.input_field for spec in specs))
    raw_amounts: list[tuple[float, ...]] = [_as_tuple(read_amounts(s)) for s in sections]
    raw_students = [section.students for section in sections]
    levels = [section.level for section in sections]

    students = np.array(raw_students, dtype=np.float64)
    amounts = np.array(raw_amounts, dtype=np.float64).reshape(count, len(specs))
    per_students = np.array([spec.per_students for spec in specs], dtype=np.float64)
    values = amounts * per_students / students[:, None]

    thresholds = {level: [spec.thresholds[level] for spec in specs] for level in LEVELS}
    floors = {level: [catalogue.floor(spec.key, level) for spec in specs] for level in LEVELS}
    at_least = _AtLeast(raw_students, raw_amounts, levels, students, amounts, per_students, specs)
    met = at_least.decide(thresholds)
    within = at_least.decide(floors) | met

    met_counts = met.sum(axis=1)
    passed = (met_counts >= catalogue.min_met) & within.all(axis=1)

    outcomes: list[SectionOutcome] = []
    rows = zip(
        sections,
        values.tolist(),
        met.tolist(),
        within.tolist(),
        met_counts.tolist(),
        passed.tolist(),
        strict=True,
    )
    for section, row_values, row_met, row_within, met_count, is_passed in rows:
        indicators = {
            key: IndicatorResult(value, threshold, is_met, is_within)
            for key, value, threshold, is_met, is_within in zip(
                keys, row_values, thresholds[section.level], row_met, row_within, strict=True
            )
        }
        outcomes.append(
            SectionOutcome(section.school_code, section.level, indicators, met_count, is_passed)
        )

    level_array = np.array(levels, dtype=object)
    cv: dict[Level, dict[str, CvResult]] = {}
    for level in LEVELS:
        in_level = level_array == level
        if not in_level.any():
            continue
        values_cv, means = _weighted_cv(students[in_level], amounts[in_level])
        for key, mean in zip(keys, means.tolist(), strict=True):
            if not mean > 0:
                raise _mean_not_positive(f"{level} {key}")
        limit = catalogue.cv_limits[level]
        cv[level] = {
            key: CvResult(value, limit, Decimal(value) <= limit)
            for key, value in zip(keys, values_cv.tolist(), strict=True)
        }

    failing_schools = [
        {"school_code": outcome.school_code, "level": outcome.level}
        for outcome in outcomes
        if not outcome.passed
    ]
    failing_cv = [
        {"level": level, "indicator": key}
        for level, by_key in cv.items()
        for key, result in by_key.items()
        if not result.passed
    ]
    return AssessmentOutcome(
        sections=outcomes,
        cv=cv,
        resource_allocation_passed=not failing_schools and not failing_cv,
        failing_schools=failing_schools,
        failing_cv=failing_cv,
    )


def shortfall(section: SectionInput, key: str, catalogue: Catalogue) -> Decimal:
    """What must be added to one section's resource to meet its threshold; 0 when met.

    People and rooms come whole: ceil(threshold × pupils / per_students) − count (e.g. extra
    qualified teachers, domain.md §5.6). Areas and money: threshold × pupils − amount, exact and
    unrounded. Never negative.
    """
    spec = catalogue.indicator(key)
    amount = Decimal(getattr(section, spec.input_field))
    needed = EXACT.divide(
        EXACT.multiply(spec.thresholds[section.level], Decimal(section.students)),
        Decimal(spec.per_students),
    )
    if spec.counts_whole_units:
        needed = Decimal(ceil(needed))
    missing = EXACT.subtract(needed, amount)
    return plain(missing) if missing > 0 else Decimal(0)


class _AtLeast:
    """Decides amount × per_students ≥ bound × pupils for every cell, exactly.

    numpy settles every cell whose two sides differ by more than float error; the few cells near
    the boundary are re-decided in integers from the float's exact ratio (Decimal(float) is exact,
    and so is float.as_integer_ratio()).
    """

    def __init__(
        self,
        raw_students: list[int],
        raw_amounts: list[tuple[float, ...]],
        levels: list[Level],
        students: FloatArray,
        amounts: FloatArray,
        per_students: FloatArray,
        specs: Sequence[IndicatorSpec],
    ) -> None:
        self._raw_students, self._raw_amounts, self._levels = raw_students, raw_amounts, levels
        self._students, self._lhs = students, amounts * per_students
        self._per = [spec.per_students for spec in specs]
        self._is_junior = np.array([level == "junior" for level in levels], dtype=np.bool_)

    def decide(self, bounds: dict[Level, list[Decimal]]) -> BoolArray:
        primary = np.array([float(b) for b in bounds["primary"]], dtype=np.float64)
        junior = np.array([float(b) for b in bounds["junior"]], dtype=np.float64)
        rhs = np.where(self._is_junior[:, None], junior, primary) * self._students[:, None]
        difference = self._lhs - rhs
        scale = np.maximum(np.abs(self._lhs), np.abs(rhs))
        result: BoolArray = difference > 0
        undecided = ~(np.abs(difference) > _UNDECIDED_MARGIN * scale)
        ratios = {level: [b.as_integer_ratio() for b in bounds[level]] for level in LEVELS}
        for row, column in zip(*np.nonzero(undecided), strict=True):
            bound_numerator, bound_denominator = ratios[self._levels[row]][column]
            numerator, denominator = self._raw_amounts[row][column].as_integer_ratio()
            result[row, column] = (
                numerator * self._per[column] * bound_denominator
                >= bound_numerator * self._raw_students[row] * denominator
            )
        return result


def _weighted_cv(students: FloatArray, amounts: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Column-wise pupil-weighted CV and mean of a (sections × indicators) matrix of totals."""
    pupils = students.sum()
    if not pupils > 0:
        return np.zeros(amounts.shape[1]), np.zeros(amounts.shape[1])
    mean = amounts.sum(axis=0) / pupils
    per_pupil = amounts / students[:, None]
    variance = ((students / pupils)[:, None] * (per_pupil - mean) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(variance) / mean
    return cv, mean


def _mean_not_positive(what: str) -> RuleViolated:
    message = t(
        "县域均值为 0：差异系数无定义",
        "county mean is 0: the coefficient of variation is undefined",
    )
    return RuleViolated(
        t(
            "the coefficient of variation (差异系数) is undefined: the mean is 0",
            "差异系数无定义: 均值为 0",
        ),
        FieldError(
            "schools",
            "cv_mean_positive",
            t(f"{what}：", f"{what}: ") + message if what else message,
        ),
    )


def _as_tuple(amounts: Any) -> tuple[float, ...]:
    # attrgetter returns a bare value for one field and a tuple for several
    return amounts if isinstance(amounts, tuple) else (amounts,)
