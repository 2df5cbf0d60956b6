"""交流轮岗: what the rules read (teachers, schools, parameters, the bureau's fixed moves), the
eligible pool, who of it rotates first, and the share counts.

Pure functions over dataclasses (domain.md §3.3, §5.2 indicators 1–3). The optimised plan is
`rotation.optimiser`; the adherence check and the rural-service and title views are
`rotation.reports.rules`.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Literal

Section = Literal["primary", "junior"]
Area = Literal["urban", "county_town", "rural"]
Denominator = Literal["rotated", "eligible"]
LeadershipPost = Literal["principal", "vice_principal"]

SECTIONS: tuple[Section, ...] = ("primary", "junior")
INDICATORS = (
    "senior_degree_teachers_per_100",
    "backbone_teachers_per_100",
    "pe_arts_teachers_per_100",
)
AREA_RANK: Mapping[str, int] = {"urban": 2, "county_town": 1, "rural": 0}


@dataclass(frozen=True, slots=True)
class RotationTeacher:
    """An active teacher of the county as the rotation rules need them."""

    teacher_id: str
    school_code: str
    section: Section
    subject: str
    school_joined_on: date
    retires_on: date | None  # None: unknown (the pool then needs the retirement parameters)
    is_in_quota: bool  # 在编 (not 借调, not 临聘)
    is_full_time: bool  # 专任教师
    is_backbone: bool  # 县级及以上骨干 (indicator 2; also the 20 % rule)
    above_required_degree: bool  # indicator 1
    is_pe_arts: bool  # indicator 3
    leadership_post: LeadershipPost | None = None  # 校长 / 副校长

    @property
    def contributes(self) -> tuple[bool, bool, bool]:
        return (self.above_required_degree, self.is_backbone, self.is_pe_arts)

    @property
    def is_principal(self) -> bool:
        """校长 of seed 000's priority rule: the principal, not a 副校长 (see `priority_ids`)."""
        return self.leadership_post == "principal"


@dataclass(frozen=True, slots=True)
class SectionState:
    """One school section's pupils and indicator counts (degree, backbone, PE/arts)."""

    pupils: int
    counts: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class RotationSchool:
    school_code: str
    area: Area
    longitude: float
    latitude: float
    free_posts: int  # approved − in post (编制 headroom); ≤ 0 means none
    sections: Mapping[Section, SectionState]


@dataclass(frozen=True, slots=True)
class RotationParameters:
    min_share: Decimal
    backbone_min_share: Decimal
    backbone_denominator: Denominator
    trigger_years: int
    retirement_window_years: int
    max_distance_km: Decimal | None
    thresholds: Mapping[tuple[str, Section], Decimal]  # (indicator, section) → threshold
    target_count: int | None = None  # more moves than the minimum, if the bureau wants them
    priority_years: int | None = None  # rotation_priority_years; None: no priority rule in force


@dataclass(frozen=True, slots=True)
class FixedMove:
    """A move the bureau decided; `pooled` = 统筹 with approval (may exceed free posts)."""

    teacher_id: str
    to_school: str
    pooled: bool = False
    pooling_reference: str | None = None


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def ceil_share(share: Decimal, count: int) -> int:
    """ceil(share × count), exactly: 10 % of 25 eligible is 2.5 → 3."""
    return int((share * count).to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True, slots=True)
class Pool:
    eligible: tuple[RotationTeacher, ...]
    excluded: Mapping[str, int]  # reason → teachers
    priority: frozenset[str] = frozenset()  # ids of the eligible who rotate first


def eligible_pool(
    teachers: Sequence[RotationTeacher], parameters: RotationParameters, on: date
) -> Pool:
    """符合交流条件 — the county's own conditions: 在编 专任 teachers with ≥ the county's
    `trigger_years` at their school on `on` and at least `retirement_window_years` before
    retirement (fewer left: 不足 N 年, not in the pool). Of them, `priority_ids` rotate first."""
    excluded: Counter[str] = Counter()
    eligible = []
    horizon = add_years(on, parameters.retirement_window_years)
    for teacher in teachers:
        if not (teacher.is_in_quota and teacher.is_full_time):
            excluded["not_in_quota_full_time"] += 1
        elif add_years(teacher.school_joined_on, parameters.trigger_years) > on:
            excluded["under_trigger_years"] += 1
        elif teacher.retires_on is not None and teacher.retires_on < horizon:
            excluded["near_retirement"] += 1
        else:
            eligible.append(teacher)
    return Pool(tuple(eligible), dict(excluded), priority_ids(eligible, parameters, on))


def is_priority_category(teacher: RotationTeacher) -> bool:
    """校长 or 优秀骨干教师: the two kinds seed 000 names; a backbone teacher is one of 县级及以上
    (the level that counts for indicator 2 and the 20 % rule)."""
    return teacher.is_principal or teacher.is_backbone


def priority_ids(
    eligible: Sequence[RotationTeacher], parameters: RotationParameters, on: date
) -> frozenset[str]:
    """优先交流: "原则上在同一学校连续任教达到6年的校长和优秀骨干教师应优先进行交流轮岗" (seed 000;
    6 years also in Anhui and Shaanxi, 9 in Sichuan: `rotation_priority_years`). Of the eligible
    pool, the principals and backbone teachers with at least that many consecutive years at
    their school on `on` go first; none when no such rule is in force. A 副校长 counts here only
    as a backbone teacher: the text names 校长, and a priority given to one teacher is taken from
    another, so the rule is not widened beyond its words."""
    years = parameters.priority_years
    if years is None:
        return frozenset()
    return frozenset(
        t.teacher_id
        for t in eligible
        if is_priority_category(t) and add_years(t.school_joined_on, years) <= on
    )


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A share rule that a plan, or what was executed of it, misses."""

    rule: str  # rotation_min_share | rotation_backbone_min_share
    required: int
    planned: int
    reason: str
