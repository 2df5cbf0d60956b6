"""班额、入学年龄与学位配置标准: class caps, large-class thresholds, the entry-age cut-off and
the seat standard per resident population as versioned, effective-dated, cited policy data
(domain.md §1.5, §2.5).

Each rule carries a scope (a GB/T 2260 prefix, "" = national); the most specific scope in force on
the evaluation date wins, so a county can publish its own row and a past year re-runs under the
rules of its time. Pupil counts are whole numbers, so the thresholds are integers (exact).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, TypeVar

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated

Level = Literal["primary", "junior"]
ClassFlag = Literal["large", "extra_large"]


@dataclass(frozen=True, slots=True)
class ClassSizePolicy:
    """班额: the cap every class of a level must keep, and the 大班额 / 超大班额 thresholds."""

    version: str
    scope: str  # GB/T 2260 prefix; "" = national
    effective_from: date
    effective_to: date | None  # exclusive; None = still in force
    source: str
    class_caps: Mapping[Level, int]  # 不超过 N: a class of N is within the cap
    large_class_min: int  # 大班额: N 人及以上
    extra_large_class_min: int  # 超大班额: N 人及以上

    def class_cap(self, level: Level) -> int:
        return self.class_caps[level]

    def class_flag(self, size: int) -> ClassFlag | None:
        """超大班额 (≥ 66) or 大班额 (≥ 56, below 66); the two are exclusive."""
        if size >= self.extra_large_class_min:
            return "extra_large"
        if size >= self.large_class_min:
            return "large"
        return None


@dataclass(frozen=True, slots=True)
class EntryAgePolicy:
    """入学年龄: a child enters grade 1 in the school year by whose cut-off it is `entry_age`.

    The cut-off is a month end, so children counted by birth month fall wholly on one side of it.
    """

    version: str
    scope: str
    effective_from: date
    effective_to: date | None
    source: str
    entry_age: int
    cutoff_month: int  # 8: on or before 31 August (inclusive)

    def entry_year(self, birth_year: int, birth_month: int) -> int:
        """Born 2013-08 → 2019; born 2013-09 → 2020 (with entry_age 6, cut-off 08-31)."""
        return birth_year + self.entry_age + (0 if birth_month <= self.cutoff_month else 1)


@dataclass(frozen=True, slots=True)
class SeatStandardPolicy:
    """学位配置标准: the seats a level needs per 1,000 resident population (常住人口).

    Seed 000: "自治区制定城镇义务教育学位配置标准" — the region sets it; seed 002 (教基厅函〔2021〕
    43号): "出台以常住人口为基数的城镇义务教育学位配置标准". Neither gives a value (domain.md §2.5:
    "set by the region from resident population … (value not given)"), so no row is built in:
    a region or county stores its own (`seat_standard`, PUT /v1/seat-standards/…).
    """

    version: str  # "<scope>/<level>/<effective_from>#<row version>"
    scope: str
    effective_from: date
    effective_to: date | None
    source: str
    level: Level
    seats_per_1000: Decimal  # exact, as the document gives it (e.g. 95 or 47.5)


NATIONAL_CLASS_SIZE_2017 = ClassSizePolicy(
    version="教督〔2017〕6号/2017-04-26",
    scope="",
    effective_from=date(2017, 4, 26),
    effective_to=None,
    source=(
        "班额: 教育部《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）政府保障程度第5项，"
        "小学、初中所有班级学生数分别不超过45人、50人（NAT, SEC）；大班额≥56人、超大班额≥66人"
        "（石家庄2017, SEC）。domain.md §2.5"
    ),
    class_caps=MappingProxyType({"primary": 45, "junior": 50}),
    large_class_min=56,
    extra_large_class_min=66,
)

ENTRY_AGE_DEFAULT = EntryAgePolicy(
    version="entry_age_cutoff=08-31",
    scope="",
    effective_from=date(2000, 1, 1),
    effective_to=None,
    source=(
        "《义务教育法》第十一条: 年满六周岁入学（NAT, OFF）；'8月31日前满6周岁' 为常见地方口径，"
        "PARAM entry_age_cutoff=08-31（含）。domain.md §1.5"
    ),
    entry_age=6,
    cutoff_month=8,
)

CLASS_SIZE_POLICIES: tuple[ClassSizePolicy, ...] = (NATIONAL_CLASS_SIZE_2017,)
ENTRY_AGE_POLICIES: tuple[EntryAgePolicy, ...] = (ENTRY_AGE_DEFAULT,)

P = TypeVar("P", ClassSizePolicy, EntryAgePolicy, SeatStandardPolicy)


def in_force(policies: Sequence[P], *, county_code: str, on: date) -> P | None:
    """The most specific scope in force on `on`; among equals the latest effective_from."""
    candidates = [
        p
        for p in policies
        if county_code.startswith(p.scope)
        and p.effective_from <= on
        and (p.effective_to is None or on < p.effective_to)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (len(p.scope), p.effective_from))


def school_year_start(year: int) -> date:
    """Rules for school year `year` are those in force when it starts (1 September)."""
    return date(year, 9, 1)


def class_size_policy(county_code: str, year: int, *, field: str = "year") -> ClassSizePolicy:
    policy = in_force(CLASS_SIZE_POLICIES, county_code=county_code, on=school_year_start(year))
    if policy is None:
        raise RuleViolated(
            t(
                f"{county_code} 在 {year} 年没有生效的班额政策",
                f"no class-size policy was in force for county {county_code} in {year}",
            ),
            FieldError(
                field,
                "class_size_policy_in_force",
                t(
                    f"{school_year_start(year)} 没有生效的政策",
                    f"none on {school_year_start(year)}",
                ),
            ),
        )
    return policy


def entry_age_policy(county_code: str, year: int, *, field: str = "from_year") -> EntryAgePolicy:
    policy = in_force(ENTRY_AGE_POLICIES, county_code=county_code, on=school_year_start(year))
    if policy is None:
        raise RuleViolated(
            t(
                f"{county_code} 在 {year} 年没有生效的入学年龄政策",
                f"no entry-age policy was in force for county {county_code} in {year}",
            ),
            FieldError(
                field,
                "entry_age_policy_in_force",
                t(
                    f"{school_year_start(year)} 没有生效的政策",
                    f"none on {school_year_start(year)}",
                ),
            ),
        )
    return policy
