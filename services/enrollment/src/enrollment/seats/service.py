"""Seat-plan use-cases: store a school's planned classes and seats with its event, and forecast
entry-grade demand against seats per zone (学位预警), beside the seats the 学位配置标准 asks for per
resident population. Nothing here commits; the request does."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission.repository import ApplicationRepository
from enrollment.schools.repository import SchoolRepository
from enrollment.seats import rules
from enrollment.seats.models import SeatPlan, SeatStandard
from enrollment.seats.policy import (
    ClassSizePolicy,
    EntryAgePolicy,
    Level,
    class_size_policy,
    entry_age_policy,
)
from enrollment.seats.repository import SeatPlanRepository, SeatStandardRepository
from enrollment.seats.schemas import SeatPlanPut
from enrollment.seats.standards import standard_in_force
from enrollment.zoning import service as zoning
from enrollment.zoning.models import ResidentPopulationImport, ZoneMap
from enrollment.zoning.repository import (
    CohortRepository,
    ResidentPopulationRepository,
    ZoneMapRepository,
)
from enrollment.zoning.rules import Zone
from junheng_contracts.enrollment import SchoolSeatsChanged, SchoolSeatsData
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.i18n import t
from junheng_kit.messaging import add_event
from junheng_kit.problems import FieldError, NotFound, PreconditionFailed, RuleViolated
from junheng_kit.timeutil import utcnow


def plan_policy(plan: SeatPlan) -> ClassSizePolicy:
    return class_size_policy(plan.county_code, plan.year)


async def put_seat_plan(
    session: AsyncSession,
    principal: Principal,
    *,
    school_code: str,
    year: int,
    request: SeatPlanPut,
    if_match: int | None,
) -> tuple[SeatPlan, bool]:
    """学位计划: set a school's entry classes for a level and year; seats = classes × cap.
    Emits `enrollment.school_seats.changed` when anything changed. Returns (plan, created)."""
    school = await SchoolRepository(session).get(school_code, within=principal.jurisdiction)
    if not rules.offers_level(school.levels, request.level):
        raise RuleViolated(
            t(
                f"学校 {school_code} 不招收 {request.level} 学生",
                f"school {school_code} does not admit into {request.level}",
            ),
            FieldError(
                "level",
                "school_level",
                t(
                    f"{school_code} 设有 {', '.join(school.levels)}",
                    f"{school_code} offers {', '.join(school.levels)}",
                ),
            ),
        )
    policy = class_size_policy(school.county_code, year)
    policy_cap = policy.class_cap(request.level)
    if request.class_cap is not None and request.class_cap > policy_cap:
        raise RuleViolated(
            t("班额上限超过班额政策", "the class cap exceeds the class-size policy"),
            FieldError(
                "class_cap",
                "class_cap_within_policy",
                t(
                    f"{request.level} 每班至多 {policy_cap} 人（班额，{policy.version}）",
                    f"{request.level} classes hold at most {policy_cap} pupils ({policy.version})",
                ),
            ),
        )
    class_cap = request.class_cap or policy_cap
    values = {
        "county_code": school.county_code,
        "planned_classes": request.planned_classes,
        "class_cap": class_cap,
        "seats": rules.seat_count(request.planned_classes, class_cap),
        "class_sizes": list(request.class_sizes),
        "policy_version": policy.version,
    }
    repository = SeatPlanRepository(session)
    plan = await repository.find(school_code, request.level, year)
    created = plan is None
    if plan is None:
        if if_match is not None:
            raise PreconditionFailed(
                t(
                    f"没有可匹配的 {school_code} {year} 年 {request.level} 学位计划",
                    f"no {request.level} seat plan of {school_code} for {year} to match",
                ),
                FieldError(
                    "header.if-match",
                    "version_current",
                    t("创建时请不要发送 If-Match", "omit If-Match to create"),
                ),
            )
        plan = SeatPlan(
            school_code=school_code,
            level=request.level,
            year=year,
            updated_by=principal.client_id,
            **values,
        )
        repository.add(plan)
    else:
        require_version(t("学位计划", "the seat plan"), plan.version, if_match)
        if all(getattr(plan, key) == value for key, value in values.items()):
            return plan, False  # the same plan again: no new version, no event
        for key, value in values.items():
            setattr(plan, key, value)
        plan.updated_by = principal.client_id
        plan.updated_at = utcnow()
    await session.flush()  # version assigned or incremented, constraints checked
    add_event(
        session,
        SchoolSeatsChanged.of(
            subject=f"{school_code}/{plan.level}/{year}",
            jurisdiction=plan.county_code,
            data=SchoolSeatsData(
                school_code=school_code,
                county_code=plan.county_code,
                year=year,
                level=request.level,
                grade=rules.ENTRY_GRADE[request.level],
                planned_classes=plan.planned_classes,
                class_cap=plan.class_cap,
                seats=plan.seats,
                version=plan.version,
            ),
        ),
    )
    return plan, created


# ---- 学位预警 -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Forecast:
    county_code: str
    level: Level
    base_year: int
    years: list[int]
    zone_map: ZoneMap
    zones: tuple[Zone, ...]
    policy: EntryAgePolicy
    rows: dict[str, list[rules.ZoneYear]]  # zone code → one row per year
    migrant_applications: int  # the base year's migrant applications counted (in a zone)
    population: ResidentPopulationImport | None  # the base year's 常住人口 import
    population_zones: int  # zones of the map with a resident count
    standards: dict[int, SeatStandard | None]  # year → the 学位配置标准 in force


def _seats_in(
    plans: Sequence[tuple[str, int, int]], years: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Each school's seats per forecast year: its plan for the year, else its latest earlier one."""
    latest: dict[str, int] = {}
    out: dict[int, dict[str, int]] = {}
    pending = iter(plans)  # oldest first
    upcoming = next(pending, None)
    for year in years:
        while upcoming is not None and upcoming[1] <= year:
            latest[upcoming[0]] = upcoming[2]
            upcoming = next(pending, None)
        out[year] = dict(latest)
    return out


async def forecast(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    level: Level,
    from_year: int,
    horizon: int,
) -> Forecast:
    """学位预警: entry-grade demand per zone for the `horizon` years after the base year (when
    the children were counted), against the seats of the zone's schools; beside them the seats
    the 学位配置标准 in force each year asks for the zone's resident population of the base year
    (held flat: no source gives a population trend), against the zone's seats of the level in
    all grades. Every input is read once for all zones and years."""
    principal.require_jurisdiction(county_code, field="query.county_code")
    cohorts = CohortRepository(session)
    if await cohorts.latest(county_code, from_year) is None:
        raise NotFound(
            t(
                f"{county_code} 在 {from_year} 年没有适龄儿童数",
                f"no child counts for county {county_code} in {from_year}",
            ),
            FieldError(
                "query.from_year",
                "cohorts_imported",
                t("请先 PUT /v1/zones/cohorts", "PUT /v1/zones/cohorts first"),
            ),
        )
    zone_map = await ZoneMapRepository(session).newest(county_code, level, from_year)
    if zone_map is None:
        raise NotFound(
            t(
                f"{county_code} 在 {from_year} 年没有 {level} 学区图",
                f"no {level} zone map of county {county_code} for {from_year}",
            ),
            FieldError("query.level", "zone_map_exists"),
        )
    index = await zoning.zone_index(session, zone_map)
    zone_schools = {z.zone_code: z.school_codes for z in index.zones}
    years = list(range(from_year + 1, from_year + horizon + 1))
    plans = await SeatPlanRepository(session).seats_until(
        {c for codes in zone_schools.values() for c in codes}, level, years[-1]
    )
    grades = rules.LEVEL_GRADES[level]
    # entry seats from the entry year of the oldest cohort in school in the first forecast year
    seats_by_year = _seats_in(plans, list(range(years[0] - grades + 1, years[-1] + 1)))
    counts = await cohorts.counts(county_code, from_year, level)
    policy = entry_age_policy(county_code, from_year)
    migrants = rules.migrant_demand(
        await ApplicationRepository(session).migrant_home_zones(county_code, level, from_year)
    )
    population = ResidentPopulationRepository(session)
    residents = {
        r.zone_code: r.residents for r in await population.rows(county_code, from_year, level)
    }
    standard_rows = await SeatStandardRepository(session).covering(county_code, level)
    standards = {
        year: standard_in_force(standard_rows, county_code=county_code, level=level, year=year)
        for year in years
    }
    rows: dict[str, list[rules.ZoneYear]] = defaultdict(list)
    for year in years:
        if level == "primary":
            demand = rules.grade1_demand(
                (
                    rules.BirthCount(c.zone_code, c.birth_year, c.birth_month, c.children)
                    for c in counts
                    if c.birth_year is not None
                ),
                year=year,
                policy=entry_age_policy(county_code, year),
            )
        else:
            demand = rules.grade7_demand(
                (
                    rules.GradeCount(c.zone_code, c.grade, c.children)
                    for c in counts
                    if c.grade is not None
                ),
                base_year=from_year,
                year=year,
            )
        seats = rules.zone_seats(zone_schools, seats_by_year[year])
        all_grades = rules.level_seats(zone_schools, seats_by_year, year=year, grades=grades)
        standard = standards[year]
        per_1000 = Decimal(standard.seats_per_1000) if standard is not None else None
        for zone in index.zones:
            rows[zone.zone_code].append(
                rules.zone_year(
                    zone.zone_code,
                    year,
                    demand.get(zone.zone_code),
                    seats.get(zone.zone_code, Fraction(0)),
                    migrants.get(zone.zone_code, 0),
                    residents=residents.get(zone.zone_code),
                    seats_per_1000=per_1000,
                    level=all_grades.get(zone.zone_code),
                )
            )
    counted = sum(n for code, n in migrants.items() if code in zone_schools)
    return Forecast(
        county_code,
        level,
        from_year,
        years,
        zone_map,
        index.zones,
        policy,
        dict(rows),
        counted,
        population=await population.latest(county_code, from_year),
        population_zones=sum(1 for code in residents if code in zone_schools),
        standards=standards,
    )
