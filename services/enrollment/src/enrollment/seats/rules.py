"""Pure seat rules: which schools serve a level, seats from classes, 大班额 flags, the
学位预警 forecast of entry-grade demand against seats per zone, and the seats the 学位配置标准
asks for per resident population (domain.md §1.5, §2.5)."""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from enrollment.seats.policy import ClassSizePolicy, EntryAgePolicy, Level

# 学段 a registered school offers → the entry levels it can plan seats for
SERVES: Mapping[str, frozenset[Level]] = {
    "primary": frozenset({"primary"}),
    "junior": frozenset({"junior"}),
    "nine_year": frozenset({"primary", "junior"}),  # 九年一贯制
    "complete_secondary": frozenset({"junior"}),  # 完全中学: junior and senior sections
}
ENTRY_GRADE: Mapping[Level, int] = {"primary": 1, "junior": 7}
# grades a level spans: primary 1–6 (domain.md §2.1), junior 7–9 (§5.5: "three-year retention",
# grade-7 intake three years earlier)
LEVEL_GRADES: Mapping[Level, int] = {"primary": 6, "junior": 3}


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
class LevelSeats:
    seats: Fraction
    complete: bool  # every school of the zone had a plan for every entry year counted


def level_seats(
    zone_schools: Mapping[str, Sequence[str]],
    seats_by_year: Mapping[int, Mapping[str, int]],
    *,
    year: int,
    grades: int,
) -> dict[str, LevelSeats]:
    """Seats of a level per zone in school year `year`, all grades: the entry seats of the
    `grades` cohorts in school (entry years year − grades + 1 … year), each cohort keeping the
    seats planned for its entry grade as it moves up — the forecast's cohort model. The 学位配置
    标准 counts the seats of a whole level, so it is held against these, not the entry grade's.
    A zone is complete when each of its schools had a plan (or an earlier one) for every one of
    those entry years; an entry year without one counts no seats."""
    total: dict[str, Fraction] = defaultdict(Fraction)
    complete = dict.fromkeys(zone_schools, True)
    for entry_year in range(year - grades + 1, year + 1):
        planned = seats_by_year.get(entry_year, {})
        for zone, seats in zone_seats(zone_schools, planned).items():
            total[zone] += seats
        for zone, schools in zone_schools.items():
            if any(code not in planned for code in schools):
                complete[zone] = False
    return {zone: LevelSeats(total[zone], complete[zone]) for zone in zone_schools}


def standard_seats(residents: int, seats_per_1000: Decimal) -> int:
    """学位配置标准 applied to a zone: ⌈resident population × seats per 1,000 ÷ 1,000⌉.

    Seed 002 asks for a standard "以常住人口为基数" (resident population as the base); seed 000
    has the region set it. Computed exactly (no float) and rounded up: a part-seat the standard
    asks for is still a seat to provide. 23,400 residents × 95 per 1,000 → 2,223 seats.
    """
    return math.ceil(Fraction(residents) * Fraction(seats_per_1000) / 1000)


StandardInput = Literal["resident_population", "seat_standard"]


@dataclass(frozen=True, slots=True)
class ZoneYear:
    """One zone in one forecast year: whole children against whole seats, and the seats the
    学位配置标准 asks for against the zone's resident population."""

    zone_code: str
    year: int
    local_demand: int  # 户籍 children (cohort counts), rounded up: a part-child is still a child
    migrant_demand: int  # 随迁子女 (see `migrant_demand`)
    seats: int  # rounded down: a part-seat seats nobody
    counts_complete: bool
    resident_population: int | None = None  # 常住人口 of the zone (base year); None: not given
    seats_per_1000: Decimal | None = None  # the standard in force for the year; None: none set
    level_seats: int = 0  # seats of the level, all grades (see `level_seats`), rounded down
    level_seats_complete: bool = False

    @property
    def standard_missing(self) -> tuple[StandardInput, ...]:
        """What the standard seats lack: the zone's resident population, the standard, or both."""
        missing: list[StandardInput] = []
        if self.resident_population is None:
            missing.append("resident_population")
        if self.seats_per_1000 is None:
            missing.append("seat_standard")
        return tuple(missing)

    @property
    def standard_seats(self) -> int | None:
        """Seats the standard asks for; None when the population or the standard is missing."""
        if self.resident_population is None or self.seats_per_1000 is None:
            return None
        return standard_seats(self.resident_population, self.seats_per_1000)

    @property
    def standard_gap(self) -> int | None:
        """standard_seats − level_seats: above 0, the zone's seats of the level (all grades) fall
        short of the standard."""
        wanted = self.standard_seats
        return None if wanted is None else wanted - self.level_seats

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
    zone_code: str,
    year: int,
    demand: ZoneDemand | None,
    seats: Fraction,
    migrants: int = 0,
    *,
    residents: int | None = None,
    seats_per_1000: Decimal | None = None,
    level: LevelSeats | None = None,
) -> ZoneYear:
    return ZoneYear(
        zone_code=zone_code,
        year=year,
        local_demand=math.ceil(demand.demand) if demand else 0,
        migrant_demand=migrants,
        seats=math.floor(seats),
        counts_complete=demand.complete if demand else False,
        resident_population=residents,
        seats_per_1000=seats_per_1000,
        level_seats=math.floor(level.seats) if level else 0,
        level_seats_complete=level.complete if level else False,
    )
