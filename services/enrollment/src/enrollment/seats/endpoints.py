from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from enrollment.seats import rules, service, standards
from enrollment.seats.models import SeatPlan
from enrollment.seats.policy import Level
from enrollment.seats.repository import SeatPlanRepository
from enrollment.seats.schemas import (
    ClassFlagsRead,
    ResidentPopulationRef,
    SeatForecastRead,
    SeatPlanList,
    SeatPlanPage,
    SeatPlanPut,
    SeatPlanRead,
    SeatStandardInForce,
    Year,
    ZoneForecast,
    ZoneForecastYear,
)
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.i18n import t
from junheng_kit.identifiers import CountyCode
from junheng_kit.pagination import (
    CursorQuery,
    LimitQuery,
    cut_page,
    decode_key_cursor,
)
from junheng_kit.problems import (
    NotFound,
    PreconditionFailed,
    RuleViolated,
    problem_responses,
)

school_seats_router = APIRouter(prefix="/v1/schools", tags=["seats"])
seat_plans_router = APIRouter(prefix="/v1/seat-plans", tags=["seats"])
forecast_router = APIRouter(prefix="/v1/seat-forecast", tags=["seats"])

Reader = Annotated[Principal, Depends(require_scopes("enrollment:read"))]
Writer = Annotated[Principal, Depends(require_scopes("enrollment:write"))]


def _read(plan: SeatPlan) -> SeatPlanRead:
    policy = service.plan_policy(plan)
    flags = rules.class_flags(plan.class_sizes, class_cap=plan.class_cap, policy=policy)
    level: Level = "primary" if plan.level == "primary" else "junior"
    return SeatPlanRead(
        school_code=plan.school_code,
        county_code=plan.county_code,
        level=level,
        year=plan.year,
        grade=rules.ENTRY_GRADE[level],
        planned_classes=plan.planned_classes,
        class_cap=plan.class_cap,
        policy_class_cap=policy.class_cap(level),
        seats=plan.seats,
        class_sizes=plan.class_sizes,
        flags=ClassFlagsRead(
            over_cap=flags.over_cap, large=flags.large, extra_large=flags.extra_large
        ),
        class_size_policy=plan.policy_version,
        version=plan.version,
        updated_by=plan.updated_by,
        updated_at=plan.updated_at,
    )


@school_seats_router.put(
    "/{school_code}/seats/{year}",
    summary="Set a school's seat plan (学位计划) for a level and year",
    responses={
        201: {"model": SeatPlanRead, "description": "created"},
        **problem_responses(NotFound, PreconditionFailed, RuleViolated),
    },
)
async def put_seat_plan(
    school_code: str,
    year: Annotated[Year, Path()],
    body: SeatPlanPut,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> SeatPlanRead:
    """学位计划: planned entry classes; seats = planned_classes × class_cap, the cap being the
    class-size policy's (45 primary, 50 junior) unless a smaller one is given. `class_sizes`
    (current classes) are flagged 大班额 (56–65) and 超大班额 (≥ 66). 201 when created, 200 when
    replaced; emits `enrollment.school_seats.changed` when anything changed. Send
    `If-Match: "<version>"` to avoid lost updates."""
    plan, created = await service.put_seat_plan(
        session,
        principal,
        school_code=school_code,
        year=year,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    response.status_code = 201 if created else 200
    response.headers["ETag"] = etag(plan.version)
    return _read(plan)


@school_seats_router.get(
    "/{school_code}/seats/{year}",
    summary="A school's seat plans for a year",
    responses=problem_responses(NotFound),
)
async def get_seat_plans(
    school_code: str, year: Annotated[Year, Path()], session: SessionDep, principal: Reader
) -> SeatPlanList:
    """One plan per level the school admits into (a 九年一贯制 school may have two)."""
    plans = await SeatPlanRepository(session).of_school(
        school_code, year, within=principal.jurisdiction
    )
    if not plans:
        raise NotFound(
            t(
                f"学校 {school_code} 没有 {year} 年的学位计划",
                f"no seat plan of school {school_code} for {year}",
            )
        )
    return SeatPlanList(items=[_read(p) for p in plans])


@seat_plans_router.get("", summary="Seat plans of a county and year", responses=problem_responses())
async def list_seat_plans(
    session: SessionDep,
    principal: Reader,
    year: Annotated[int, Query(ge=2000, le=2100)],
    county_code: CountyCode | None = None,
    level: Level | None = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> SeatPlanPage:
    """Plans in the caller's jurisdiction, by school code and level."""
    key = decode_key_cursor(cursor, 2)
    rows = await SeatPlanRepository(session).page(
        within=principal.jurisdiction,
        county_code=county_code,
        year=year,
        level=level,
        after=(key[0], key[1]) if key else None,
        limit=limit,
    )
    rows, next_cursor = cut_page(rows, limit, key=lambda p: (p.school_code, p.level))
    return SeatPlanPage(items=[_read(p) for p in rows], next_cursor=next_cursor)


@forecast_router.get(
    "", summary="Seat supply and demand per zone (学位预警)", responses=problem_responses(NotFound)
)
async def seat_forecast(
    session: SessionDep,
    principal: Reader,
    county_code: CountyCode,
    level: Level,
    from_year: Annotated[
        int, Query(ge=2000, le=2100, description="base year: when the children were counted")
    ],
    horizon: Annotated[int, Query(ge=1, le=6, description="years ahead")] = 6,
) -> SeatForecastRead:
    """学位预警: for each zone of the base year's newest map and each year from_year+1 …
    from_year+horizon, entry-grade demand (grade 1 from birth cohorts under the entry-age
    cut-off; grade 7 from the pupils now in primary grades) against the seats of the zone's
    schools (a 多校 zone pools them; a school without a plan for the year keeps its latest
    earlier one). `is_short`: more children than seats.

    Beside them, 学位配置标准 (seed 000, seed 002): `standard_seats` = ⌈resident population ×
    seats per 1,000 ÷ 1,000⌉ from the zone's 常住人口 of the base year (PUT
    /v1/zones/resident-population/…) and the standard in force on 1 September of the year (PUT
    /v1/seat-standards/…), held against `level_seats` — the zone's seats of the level in all
    grades (the entry seats planned for each cohort in school), since the standard counts a whole
    level: `standard_gap` = standard_seats − level_seats. Population or standard missing: both
    null and `standard_missing` names what is missing — no official value exists, so none is
    assumed."""
    outcome = await service.forecast(
        session,
        principal,
        county_code=county_code,
        level=level,
        from_year=from_year,
        horizon=horizon,
    )
    zones = [
        ZoneForecast(
            zone_code=zone.zone_code,
            name=zone.name,
            zone_type=zone.zone_type,
            school_codes=list(zone.school_codes),
            years=[
                ZoneForecastYear(
                    year=row.year,
                    demand=row.demand,
                    local_demand=row.local_demand,
                    migrant_demand=row.migrant_demand,
                    seats=row.seats,
                    balance=row.balance,
                    is_short=row.is_short,
                    counts_complete=row.counts_complete,
                    resident_population=row.resident_population,
                    standard_seats=row.standard_seats,
                    level_seats=row.level_seats,
                    level_seats_complete=row.level_seats_complete,
                    standard_gap=row.standard_gap,
                    standard_missing=list(row.standard_missing),
                )
                for row in outcome.rows[zone.zone_code]
            ],
        )
        for zone in outcome.zones
    ]
    return SeatForecastRead(
        county_code=county_code,
        level=level,
        grade=rules.ENTRY_GRADE[level],
        base_year=from_year,
        years=outcome.years,
        zone_map_id=outcome.zone_map.id,
        zone_map_version=outcome.zone_map.version,
        entry_age_policy=outcome.policy.version,
        zones=zones,
        short_zones=[z.zone_code for z in zones if any(y.is_short for y in z.years)],
        migrant_applications=outcome.migrant_applications,
        resident_population=None
        if outcome.population is None
        else ResidentPopulationRef(
            year=outcome.population.year,
            zones=outcome.population_zones,
            content_sha256=outcome.population.content_sha256,
            imported_at=outcome.population.imported_at,
        ),
        seat_standards=[
            SeatStandardInForce(
                year=year, standard=standards.standard_read(row) if row is not None else None
            )
            for year, row in outcome.standards.items()
        ],
    )
