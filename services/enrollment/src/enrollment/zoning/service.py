"""Zoning use-cases: import versioned zone maps, look points up and preview a re-zoning (the
counts by zone the seat forecast uses are in `counts.py`). Nothing here commits; the request
does."""

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import numpy as np
import shapely
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.seats.policy import Level
from enrollment.seats.repository import SeatPlanRepository
from enrollment.seats.rules import offers_level
from enrollment.zoning import rules
from enrollment.zoning.models import ZoneMap
from enrollment.zoning.repository import SchoolLookup, ZoneMapRepository
from enrollment.zoning.schemas import ZoneCollection, ZoneMapCreate, ZonePreviewIn
from enrollment.zoning.tables import PointTable
from junheng_contracts.enrollment import ZoneMapPublished, ZoneMapPublishedData
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.messaging import add_event
from junheng_kit.problems import (
    FieldError,
    NotFound,
    RuleViolated,
)
from junheng_kit.timeutil import china_today

INDEX_CACHE_SIZE = 64
_indexes: OrderedDict[UUID, rules.ZoneIndex] = OrderedDict()


def today() -> date:
    """The bureau's calendar day (China Standard Time), the default date for "in force" (the
    kit's clock: tests and demos may pin it, junheng_kit.timeutil)."""
    return china_today()


def canonical_sha256(collection: ZoneCollection) -> str:
    document = collection.model_dump(mode="json")
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# ---- checking a map -----------------------------------------------------------------------------


async def school_errors(
    session: AsyncSession,
    lists: Sequence[tuple[str, Sequence[str]]],
    *,
    county_code: str,
    level: Level,
) -> list[FieldError]:
    """Each zone's schools (field label, codes) must be registered, in the county and admit
    into the level; `<label>[j]` names the j-th code at fault."""
    schools = await SchoolLookup(session).by_code({c for _, codes in lists for c in codes})
    errors = []
    for label, codes in lists:
        for j, code in enumerate(codes):
            field = f"{label}[{j}]"
            school = schools.get(code)
            if school is None:
                errors.append(
                    FieldError(
                        field,
                        "school_registered",
                        t(f"{code} 不在学校名录中", f"{code} is not in the school registry"),
                    )
                )
            elif school.county_code != county_code:
                errors.append(
                    FieldError(
                        field,
                        "school_in_county",
                        t(
                            f"{code} 属于区县 {school.county_code}",
                            f"{code} is in county {school.county_code}",
                        ),
                    )
                )
            elif not offers_level(school.levels, level):
                errors.append(
                    FieldError(
                        field,
                        "school_level",
                        t(
                            f"{code} 设有 {', '.join(school.levels)}；{level} 学区需要招收 "
                            f"{level} 学生的学校",
                            f"{code} offers {', '.join(school.levels)}; a {level} zone needs a "
                            "school "
                            f"admitting into {level}",
                        ),
                    )
                )
    return errors


async def _school_errors(
    session: AsyncSession, collection: ZoneCollection, *, county_code: str, level: Level, label: str
) -> list[FieldError]:
    return await school_errors(
        session,
        [
            (f"{label}[{i}].properties.school_codes", f.properties.school_codes)
            for i, f in enumerate(collection.features)
        ],
        county_code=county_code,
        level=level,
    )


async def checked_zones(
    session: AsyncSession,
    collection: ZoneCollection,
    *,
    county_code: str,
    level: Level,
    label: str = "zones.features",
) -> list[rules.Zone]:
    """Every feature parsed and checked; all problems reported at once, or the zones."""
    zones: list[rules.Zone] = []
    errors: list[FieldError] = []
    for i, feature in enumerate(collection.features):
        shape, problems = rules.parse_geometry(
            feature.geometry, field_name=f"{label}[{i}].geometry"
        )
        errors += problems
        properties = feature.properties
        zones.append(
            rules.Zone(properties.zone_code, properties.name, tuple(properties.school_codes), shape)
        )
    errors += rules.duplicate_codes([z.zone_code for z in zones], label)
    if not errors:  # overlaps need every shape
        errors += rules.overlap_errors(zones, label)
    errors += await _school_errors(
        session, collection, county_code=county_code, level=level, label=label
    )
    if errors:
        raise RuleViolated(
            t("学区图无效，未存储任何内容", "the zone map is not valid; nothing was stored"),
            *errors,
        )
    return zones


# ---- zone maps ----------------------------------------------------------------------------------


async def create_zone_map(
    session: AsyncSession, principal: Principal, *, request: ZoneMapCreate
) -> tuple[ZoneMap, list[rules.Zone]]:
    """划片方案: store a county's zones for a level and year as the next version."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    zones = await checked_zones(
        session, request.zones, county_code=request.county_code, level=request.level
    )
    repository = ZoneMapRepository(session)
    previous = await repository.newest(request.county_code, request.level, request.year)
    if previous is not None and request.effective_from < previous.effective_from:
        raise RuleViolated(
            t(
                "新版本的生效日期不能早于被替换的版本",
                "a new version cannot take effect before the one it replaces",
            ),
            FieldError(
                "effective_from",
                "effective_from_not_before_previous",
                t(
                    f"版本 {previous.version} 自 {previous.effective_from} 起生效",
                    f"version {previous.version} is in force from {previous.effective_from}",
                ),
            ),
        )
    zone_map = ZoneMap(
        county_code=request.county_code,
        level=request.level,
        year=request.year,
        version=1 if previous is None else previous.version + 1,
        effective_from=request.effective_from,
        zone_count=len(zones),
        source_sha256=canonical_sha256(request.zones),
        created_by=principal.client_id,
    )
    geometries = np.array([z.geometry for z in zones], dtype=object)
    areas = rules.area_m2(geometries)
    wkb = shapely.to_wkb(geometries)
    # another import that took the same version number first: the constraint's declared 409
    await repository.add(
        zone_map,
        [
            {
                "zone_code": z.zone_code,
                "name": z.name,
                "school_codes": list(z.school_codes),
                "geometry_wkb": bytes(wkb[i]),
                "area_m2": round(float(areas[i]), 1),
            }
            for i, z in enumerate(zones)
        ],
    )
    _remember(zone_map.id, rules.ZoneIndex(zones))
    add_event(session, published_event(zone_map, zones))
    return zone_map, zones


def published_event(zone_map: ZoneMap, zones: Sequence[rules.Zone]) -> ZoneMapPublished:
    """`enrollment.zone_map.published`: the version and its zones' school lists, no geometry."""
    return ZoneMapPublished.of(
        subject=str(zone_map.id),
        jurisdiction=zone_map.county_code,
        data=ZoneMapPublishedData(
            zone_map_id=str(zone_map.id),
            county_code=zone_map.county_code,
            level="primary" if zone_map.level == "primary" else "junior",
            year=zone_map.year,
            version=zone_map.version,
            effective_from=zone_map.effective_from,
            zone_count=len(zones),
            school_codes=sorted({code for z in zones for code in z.school_codes}),
            zones={z.zone_code: list(z.school_codes) for z in zones},
        ),
    )


@dataclass(frozen=True, slots=True)
class StoredZone:
    zone: rules.Zone
    area_m2: float


async def stored_zones(session: AsyncSession, zone_map: ZoneMap) -> list[StoredZone]:
    rows = await ZoneMapRepository(session).zones(zone_map.id)
    geometries = shapely.from_wkb([r.geometry_wkb for r in rows])
    return [
        StoredZone(rules.Zone(r.zone_code, r.name, tuple(r.school_codes), g), r.area_m2)
        for r, g in zip(rows, geometries, strict=True)
    ]


def _remember(map_id: UUID, index: rules.ZoneIndex) -> None:
    _indexes[map_id] = index
    _indexes.move_to_end(map_id)
    while len(_indexes) > INDEX_CACHE_SIZE:
        _indexes.popitem(last=False)


async def zone_index(session: AsyncSession, zone_map: ZoneMap) -> rules.ZoneIndex:
    """The map's STRtree, built once per process: stored maps never change."""
    index = _indexes.get(zone_map.id)
    if index is None:
        index = rules.ZoneIndex([s.zone for s in await stored_zones(session, zone_map)])
        _remember(zone_map.id, index)
    else:
        _indexes.move_to_end(zone_map.id)
    return index


async def map_in_force(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    level: Level,
    year: int,
    on: date | None,
) -> ZoneMap:
    principal.require_jurisdiction(county_code, field="query.county_code")
    day = on or today()
    zone_map = await ZoneMapRepository(session).in_force(county_code, level, year, day)
    if zone_map is None:
        raise NotFound(
            t(
                f"{day} 没有生效的 {county_code} {year} 年 {level} 学区图",
                f"no {level} zone map of county {county_code} for {year} is in force on {day}",
            ),
            FieldError(
                "query.year",
                "zone_map_in_force",
                t(f"{day} 没有生效的版本", f"none in force on {day}"),
            ),
        )
    return zone_map


async def zone_options(
    session: AsyncSession,
    county_code: str,
    level: Level,
    year: int,
    longitude: float,
    latitude: float,
    on: date | None = None,
) -> tuple[str, list[str]] | None:
    """The zone of a home and the schools a child living there may choose, under the map in
    force on `on` (default today, China time); None if no map is in force or no zone covers it.

    For the applications module (stable signature). No jurisdiction check: the caller has one.
    """
    index = await zone_index_in_force(session, county_code, level, year, on or today())
    return None if index is None else options_at(index, longitude, latitude)


async def zone_index_in_force(
    session: AsyncSession, county_code: str, level: Level, year: int, on: date
) -> rules.ZoneIndex | None:
    """The index of the map in force on `on` (None without one): one query, the tree cached."""
    zone_map = await ZoneMapRepository(session).in_force(county_code, level, year, on)
    return None if zone_map is None else await zone_index(session, zone_map)


def options_at(
    index: rules.ZoneIndex, longitude: float, latitude: float
) -> tuple[str, list[str]] | None:
    """The zone covering a point and its schools, None outside every zone."""
    zone = index.locate_one(longitude, latitude)
    return None if zone is None else (zone.zone_code, list(zone.school_codes))


async def lookup(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    level: Level,
    year: int,
    longitude: float,
    latitude: float,
    on: date | None,
) -> tuple[ZoneMap, rules.Zone]:
    zone_map = await map_in_force(
        session, principal, county_code=county_code, level=level, year=year, on=on
    )
    zone = (await zone_index(session, zone_map)).locate_one(longitude, latitude)
    if zone is None:
        raise NotFound(
            t("没有学区覆盖此位置", "no zone covers this point"),
            FieldError(
                "query.longitude",
                "point_in_zone",
                t(
                    f"({longitude}, {latitude}) 不在版本 {zone_map.version} 的任何学区内",
                    f"({longitude}, {latitude}) is outside every zone of version "
                    f"{zone_map.version}",
                ),
            ),
        )
    return zone_map, zone


async def bulk_lookup(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    level: Level,
    year: int,
    on: date | None,
    points: PointTable,
) -> tuple[ZoneMap, rules.ZoneIndex, list[int]]:
    """Each point's zone index (-1 outside every zone), vectorised over the cached tree."""
    zone_map = await map_in_force(
        session, principal, county_code=county_code, level=level, year=year, on=on
    )
    index = await zone_index(session, zone_map)
    return zone_map, index, index.locate(points.longitude, points.latitude).tolist()


async def preview_rezoning(
    session: AsyncSession, principal: Principal, *, request: ZonePreviewIn
) -> tuple[ZoneMap | None, rules.Preview]:
    """Compare a draft map with the map in force: who changes zone and school, and each
    school's seat balance before and after (seat plans of the map's year and level)."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    draft = await checked_zones(
        session, request.zones, county_code=request.county_code, level=request.level
    )
    base = await ZoneMapRepository(session).in_force(
        request.county_code, request.level, request.year, request.on or today()
    )
    old = await zone_index(session, base) if base is not None else None
    seats = await SeatPlanRepository(session).seats_by_school(
        request.county_code, request.level, request.year
    )
    households = [
        rules.Household(p.id, p.longitude, p.latitude, p.current_choice) for p in request.points
    ]
    return base, rules.preview(old, rules.ZoneIndex(draft), households, seats)
