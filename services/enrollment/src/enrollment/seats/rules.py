"""Pure seat rules: which schools serve a level, seats from classes, 大班额 flags, and the
学位预警 forecast of entry-grade demand against seats per zone (domain.md §1.5, §2.5)."""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from enrollment.seats.policy import ClassSizePolicy, EntryAgePolicy, Level

# 学段 a registered school offers → the entry levels it can plan seats for
SERVES: Mapping[str, frozenset[Level]] = {
    "primary": frozenset({"primary"}),
    "junior": frozenset({"junior"}),
    "nine_year": frozenset({"primary", "junior"}),  # 九年一贯制
    "complete_secondary": frozenset({"junior"}),  # 完全中学: junior and senior sections
}
ENTRY_GRADE: Mapping[Level, int] = {"primary": 1, "junior": 7}


def offers_level(school_levels: Iterable[str], level: Level) -> bool:
    """Does a school with these 学段 admit pupils into `level`'s entry grade?"""
    return any(level in SERVES.get(s, frozenset()) for s in school_levels)


def seat_count(planned_classes: int, class_cap: int) -> int:
    """学位供给 = planned classes × class cap (domain.md §2.5)."""
    return planned_classes * class_cap


@dataclass(frozen=True, slots=True)
class ClassFlags:
    """Current classes against the policy: over the cap, 大班额 (56–65), 超大班额 (≥ 66)."""

    over_cap: int
    large: int
    extra_large: int


def class_flags(
    class_sizes: Sequence[int], *, class_cap: int, policy: ClassSizePolicy
) -> ClassFlags:
    flags = [policy.class_flag(size) for size in class_sizes]
    return ClassFlags(
        over_cap=sum(1 for size in class_sizes if size > class_cap),
        large=flags.count("large"),
        extra_large=flags.count("extra_large"),
    )


# ---- 学位预警: seat supply and demand per zone -------------------------------------------------


@dataclass(frozen=True, slots=True)
class BirthCount:
    """户籍 children of a primary zone born in a year (and month, when the source has it)."""

    zone_code: str
    birth_year: int
    birth_month: int | None
    children: int


@dataclass(frozen=True, slots=True)
class GradeCount:
    """Pupils of a junior zone in a primary grade in the base year."""

    zone_code: str
    grade: int
    children: int


@dataclass(frozen=True, slots=True)
class ZoneDemand:
    demand: Fraction
    complete: bool  # every cohort the year needs was counted for the zone


def grade1_demand(
    births: Iterable[BirthCount], *, year: int, policy: EntryAgePolicy
) -> dict[str, ZoneDemand]:
    """Grade-1 entrants per zone in school year `year`.

    A count with a birth month enters in `policy.entry_year(...)` exactly. A count by birth year
    only is split assuming births spread evenly over the months: with the 08-31 cut-off, 8/12 of
    the children born in year − 6 (Jan–Aug) and 4/12 of those born in year − 7 (Sep–Dec) enter in
    `year`. A zone is complete when both birth years have a count.
    """
    late_share = Fraction(12 - policy.cutoff_month, 12)  # born after the cut-off month
    early_share = 1 - late_share
    on_time, late = year - policy.entry_age, year - policy.entry_age - 1
    demand: dict[str, Fraction] = defaultdict(Fraction)
    seen: dict[str, set[int]] = defaultdict(set)
    for count in births:
        seen[count.zone_code].add(count.birth_year)
        if count.birth_month is not None:
            if policy.entry_year(count.birth_year, count.birth_month) == year:
                demand[count.zone_code] += count.children
        elif count.birth_year == on_time:
            demand[count.zone_code] += early_share * count.children
        elif count.birth_year == late:
            demand[count.zone_code] += late_share * count.children
    return {
        zone: ZoneDemand(demand[zone], {on_time, late} <= years) for zone, years in seen.items()
    }


def grade7_demand(
    grades: Iterable[GradeCount], *, base_year: int, year: int
) -> dict[str, ZoneDemand]:
    """Grade-7 entrants per junior zone in `year`: the pupils in grade 7 − (year − base_year)
    in the base year, each cohort moving up one grade a year (no migration, repetition or
    drop-out: a documented simplification). Years beyond six ahead need pupils not yet counted."""
    grade = 7 - (year - base_year)
    demand: dict[str, Fraction] = defaultdict(Fraction)
    seen: dict[str, set[int]] = defaultdict(set)
    for count in grades:
        seen[count.zone_code].add(count.grade)
        if count.grade == grade:
            demand[count.zone_code] += count.children
    return {zone: ZoneDemand(demand[zone], grade in grades_) for zone, grades_ in seen.items()}


def zone_seats(
    zone_schools: Mapping[str, Sequence[str]], school_seats: Mapping[str, int]
) -> dict[str, Fraction]:
    """Seats per zone: a 多校划片 zone pools its schools' seats; a school listed by k zones of the
    map gives each of them 1/k of its seats, so no seat is counted twice. Schools without a plan
    give nothing."""
    listed: dict[str, int] = defaultdict(int)
    for schools in zone_schools.values():
        for code in set(schools):
            listed[code] += 1
    return {
        zone: sum(
            (Fraction(school_seats.get(code, 0), listed[code]) for code in set(schools)),
            Fraction(0),
        )
        for zone, schools in zone_schools.items()
    }


@dataclass(frozen=True, slots=True)
class ZoneYear:
    """One zone in one forecast year: whole children against whole seats."""

    zone_code: str
    year: int
    local_demand: int  # 户籍 children (cohort counts), rounded up: a part-child is still a child
    migrant_demand: int  # 随迁子女 (see `migrant_demand`)
    seats: int  # rounded down: a part-seat seats nobody
    counts_complete: bool

    @property
    def demand(self) -> int:
        """Demand = children in the zone who pass the age rule + migrant children (§2.5)."""
        return self.local_demand + self.migrant_demand

    @property
    def balance(self) -> int:
        return self.seats - self.demand

    @property
    def is_short(self) -> bool:
        """学位不足: more children than seats."""
        return self.demand > self.seats


def migrant_demand(home_zones: Iterable[str | None]) -> dict[str, int]:
    """随迁子女 demand per zone: the base year's migrant applications (one home zone each, None
    for a home outside every zone), counted by the zone the family lives in. The forecast holds
    this number for every year ahead: a flat projection, because no source gives a migration
    trend (domain.md §2.5: demand = local children + accepted migrant applications)."""
    counts: dict[str, int] = defaultdict(int)
    for zone in home_zones:
        if zone is not None:
            counts[zone] += 1
    return dict(counts)


def zone_year(
    zone_code: str, year: int, demand: ZoneDemand | None, seats: Fraction, migrants: int = 0
) -> ZoneYear:
    return ZoneYear(
        zone_code=zone_code,
        year=year,
        local_demand=math.ceil(demand.demand) if demand else 0,
        migrant_demand=migrants,
        seats=math.floor(seats),
        counts_complete=demand.complete if demand else False,
    )
