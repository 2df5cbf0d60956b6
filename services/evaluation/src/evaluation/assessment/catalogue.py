"""资源配置指标目录: the seven resource indicators as versioned, effective-dated, cited data.

Formulas are FIXED, thresholds and limits PARAM (domain.md §5.2, §5.3): a past year re-runs under
the catalogue that was in force then, so nothing here is read as a bare number by the rules.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow
from types import MappingProxyType
from typing import Literal

Level = Literal["primary", "junior"]
LEVELS: tuple[Level, ...] = ("primary", "junior")

INDICATOR_KEYS = (
    "senior_degree_teachers_per_100",
    "backbone_teachers_per_100",
    "pe_arts_teachers_per_100",
    "teaching_area_per_student",
    "sports_area_per_student",
    "equipment_value_per_student",
    "multimedia_classrooms_per_100",
)

# shortfalls in these units are whole people or rooms, so they round up (domain.md §5.6)
WHOLE_UNITS = frozenset({"teachers", "classrooms"})

# exact Decimal arithmetic: wide enough for any float's full expansion, and loud if ever not
EXACT = Context(prec=2000, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """One resource indicator: amount ÷ pupils × per_students, against a threshold per level."""

    key: str  # one of INDICATOR_KEYS
    number: int  # 1..7 as in 教督〔2017〕6号 and domain.md §5.2
    name_zh: str
    input_field: str  # the SectionInput field it divides by pupils
    per_students: int  # 100 for "per 100 pupils", 1 for per pupil
    unit: str
    thresholds: Mapping[Level, Decimal]  # 达到 N 以上: value ≥ N
    shortfall_unit: str  # what is missing when short: "teachers", "m2", "yuan", "classrooms"

    @property
    def counts_whole_units(self) -> bool:
        """Is the input a count of people or rooms (so a shortfall is a whole number)?"""
        return self.shortfall_unit in WHOLE_UNITS


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A cited, effective-dated set of resource-allocation thresholds and limits."""

    version: str
    effective_from: date
    effective_to: date | None  # exclusive; None = still in force
    source: str
    indicators: tuple[IndicatorSpec, ...]
    min_met: int  # indicators that must meet their threshold (of len(indicators))
    floor_ratio: Decimal  # every unmet indicator ≥ threshold × floor_ratio
    cv_limits: Mapping[Level, Decimal]  # 差异系数 ≤ limit, per indicator and level
    recognition_threshold: Decimal  # 社会认可度 ≥ this share

    def indicator(self, key: str) -> IndicatorSpec:
        for spec in self.indicators:
            if spec.key == key:
                return spec
        raise KeyError(f"{key!r} is not an indicator of catalogue {self.version}")

    def floor(self, key: str, level: Level) -> Decimal:
        """The 85% floor of one indicator: threshold × floor_ratio, exact (4.2 × 0.85 = 3.57)."""
        return plain(EXACT.multiply(self.indicator(key).thresholds[level], self.floor_ratio))

    def is_in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


def plain(number: Decimal) -> Decimal:
    """The same value without trailing zeros or an exponent: 3.570 → 3.57, 1700.00 → 1700."""
    normal = number.normalize(EXACT)
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1), context=EXACT) if int(exponent) > 0 else normal


def _levels(primary: str, junior: str) -> Mapping[Level, Decimal]:
    return MappingProxyType({"primary": Decimal(primary), "junior": Decimal(junior)})


NATIONAL_2017 = Catalogue(
    version="教督〔2017〕6号/2017-04-26",
    effective_from=date(2017, 4, 26),
    effective_to=None,
    source=(
        "教育部《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号，2017-04-26 印发），"
        "第二章资源配置七项指标与差异系数（小学≤0.50、初中≤0.45）；差异系数算法沿用"
        "教督〔2012〕3号。domain.md §5.2、§5.3、§5.6（NAT，SEC）"
    ),
    indicators=(
        IndicatorSpec(
            key="senior_degree_teachers_per_100",
            number=1,
            name_zh="高于规定学历教师数（每百名学生）",
            input_field="teachers_above_required_degree",
            per_students=100,
            unit="人/百生",
            thresholds=_levels("4.2", "5.3"),
            shortfall_unit="teachers",
        ),
        IndicatorSpec(
            key="backbone_teachers_per_100",
            number=2,
            name_zh="县级及以上骨干教师数（每百名学生）",
            input_field="backbone_teachers",
            per_students=100,
            unit="人/百生",
            thresholds=_levels("1", "1"),
            shortfall_unit="teachers",
        ),
        IndicatorSpec(
            key="pe_arts_teachers_per_100",
            number=3,
            name_zh="体育、艺术（美术、音乐）专任教师数（每百名学生）",
            input_field="pe_arts_teachers",
            per_students=100,
            unit="人/百生",
            thresholds=_levels("0.9", "0.9"),
            shortfall_unit="teachers",
        ),
        IndicatorSpec(
            key="teaching_area_per_student",
            number=4,
            name_zh="生均教学及辅助用房面积",
            input_field="teaching_auxiliary_area_m2",
            per_students=1,
            unit="m²/生",
            thresholds=_levels("4.5", "5.8"),
            shortfall_unit="m2",
        ),
        IndicatorSpec(
            key="sports_area_per_student",
            number=5,
            name_zh="生均体育运动场馆面积",
            input_field="sports_venue_area_m2",
            per_students=1,
            unit="m²/生",
            thresholds=_levels("7.5", "10.2"),
            shortfall_unit="m2",
        ),
        IndicatorSpec(
            key="equipment_value_per_student",
            number=6,
            name_zh="生均教学仪器设备值",
            input_field="equipment_value_yuan",
            per_students=1,
            unit="元/生",
            thresholds=_levels("2000", "2500"),
            shortfall_unit="yuan",
        ),
        IndicatorSpec(
            key="multimedia_classrooms_per_100",
            number=7,
            name_zh="网络多媒体教室数（每百名学生）",
            input_field="multimedia_classrooms",
            per_students=100,
            unit="间/百生",
            thresholds=_levels("2.3", "2.4"),
            shortfall_unit="classrooms",
        ),
    ),
    min_met=6,
    floor_ratio=Decimal("0.85"),
    cv_limits=_levels("0.50", "0.45"),
    recognition_threshold=Decimal("0.85"),
)

CATALOGUES: tuple[Catalogue, ...] = (NATIONAL_2017,)


def catalogue_in_force(on: date, catalogues: Sequence[Catalogue] = CATALOGUES) -> Catalogue:
    """The catalogue in force on a date; the latest-starting one if several overlap."""
    in_force = [catalogue for catalogue in catalogues if catalogue.is_in_force(on)]
    if not in_force:
        raise LookupError(f"no indicator catalogue is in force on {on.isoformat()}")
    return max(in_force, key=lambda catalogue: catalogue.effective_from)


def catalogue_by_version(version: str, catalogues: Sequence[Catalogue] = CATALOGUES) -> Catalogue:
    """The catalogue a stored assessment names, to re-run or explain it."""
    for catalogue in catalogues:
        if catalogue.version == version:
            return catalogue
    raise LookupError(f"unknown indicator catalogue version {version!r}")
