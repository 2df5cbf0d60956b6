import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Annotated, Any
from uuid import UUID

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.zoning import service
from enrollment.zoning.models import ZoneMap
from enrollment.zoning.repository import ZoneMapRepository
from enrollment.zoning.rezoning import rezoning_status
from enrollment.zoning.schemas import (
    BulkLookupIn,
    BulkLookupRead,
    HouseholdChangeRead,
    Latitude,
    Level,
    Longitude,
    PointZone,
    RezoningRead,
    SchoolBalanceRead,
    ZoneCollectionRead,
    ZoneFeatureProperties,
    ZoneFeatureRead,
    ZoneLookupRead,
    ZoneMapCreate,
    ZoneMapPage,
    ZoneMapRead,
    ZoneMapRef,
    ZoneMapSummary,
    ZonePreviewIn,
    ZonePreviewRead,
)
from enrollment.zoning.tables import (
    CSV,
    JSON,
    XLSX,
    PointTable,
    media_type_of,
    prefers_csv,
    read_json,
    read_points,
    write_point_zones,
)
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.pagination import (
    CursorQuery,
    LimitQuery,
    cut_page,
    decode_uuid_cursor,
)
from junheng_kit.problems import (
    BadRequest,
    Conflict,
    NotFound,
    RuleViolated,
    UnsupportedMediaType,
    problem_responses,
)

maps_router = APIRouter(prefix="/v1/zone-maps", tags=["zones"])
zones_router = APIRouter(prefix="/v1/zones", tags=["zones"])

Reader = Annotated[Principal, Depends(require_scopes("enrollment:read"))]
Writer = Annotated[Principal, Depends(require_scopes("enrollment:write"))]
On = Annotated[
    date | None, Query(description="the map in force on this day (default today, China time)")
]
BULK_LOOKUP = TypeAdapter(BulkLookupIn)


def _summary(zone_map: ZoneMap) -> ZoneMapSummary:
    return ZoneMapSummary(
        id=zone_map.id,
        county_code=zone_map.county_code,
        level=zone_map.level,
        year=zone_map.year,
        version=zone_map.version,
        effective_from=zone_map.effective_from,
        zone_count=zone_map.zone_count,
        source_sha256=zone_map.source_sha256,
        created_by=zone_map.created_by,
        created_at=zone_map.created_at,
    )


def _ref(zone_map: ZoneMap) -> ZoneMapRef:
    return ZoneMapRef(
        id=zone_map.id, version=zone_map.version, effective_from=zone_map.effective_from
    )


async def _read(
    session: AsyncSession, zone_map: ZoneMap, zones: list[service.StoredZone]
) -> ZoneMapRead:
    geometries = shapely.to_geojson([s.zone.geometry for s in zones]) if zones else []
    rezoning = await rezoning_status(session, zone_map, service.today())
    return ZoneMapRead(
        **_summary(zone_map).model_dump(),
        rezoning=None
        if rezoning is None
        else RezoningRead.model_validate(rezoning, from_attributes=True),
        zones=ZoneCollectionRead(
            features=[
                ZoneFeatureRead(
                    properties=ZoneFeatureProperties(
                        zone_code=s.zone.zone_code,
                        name=s.zone.name,
                        school_codes=list(s.zone.school_codes),
                        zone_type=s.zone.zone_type,
                        area_m2=s.area_m2,
                    ),
                    geometry=json.loads(str(g)),
                )
                for s, g in zip(zones, geometries, strict=True)
            ]
        ),
    )


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """A JSON schema with its local `$defs` references replaced by the definitions."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
        return {k: _inline(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    return schema


def body_openapi(model: type[BaseModel], csv_example: str) -> dict[str, Any]:
    """A body that is JSON (the model), CSV or XLSX: FastAPI cannot declare these from a
    signature."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {
                JSON: {"schema": _inline(schema, schema.get("$defs", {}))},
                CSV: {"schema": {"type": "string"}, "example": csv_example},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


@maps_router.post(
    "",
    status_code=201,
    summary="Import a zone map (划片) as the next version",
    responses=problem_responses(RuleViolated, Conflict),
)
async def create_zone_map(
    body: ZoneMapCreate, session: SessionDep, principal: Writer, response: Response
) -> ZoneMapRead:
    """划片: a GeoJSON FeatureCollection, one feature per zone with `zone_code`, `name` and
    `school_codes` (one: 单校划片, several: 多校划片). Re-importing a county, level and year adds
    version n+1; older versions stay readable. Rejected as a whole (422) for an invalid polygon
    (`zones.features[i].geometry`, `polygon_valid`), zones overlapping by 1 m² or more
    (`zones_not_overlapping`, both codes and the area), an unknown school (`school_registered`),
    a school of another county (`school_in_county`) or level (`school_level`)."""
    zone_map, _ = await service.create_zone_map(session, principal, request=body)
    response.headers["Location"] = f"/v1/zone-maps/{zone_map.id}"
    return await _read(session, zone_map, await service.stored_zones(session, zone_map))


@maps_router.get("", summary="Zone map versions", responses=problem_responses())
async def list_zone_maps(
    session: SessionDep,
    principal: Reader,
    county_code: CountyCode | None = None,
    level: Level | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> ZoneMapPage:
    """Versions in the caller's jurisdiction, newest first (without shapes)."""
    rows = await ZoneMapRepository(session).versions(
        within=principal.jurisdiction,
        county_code=county_code,
        level=level,
        year=year,
        before=decode_uuid_cursor(cursor),
        limit=limit,
    )
    rows, next_cursor = cut_page(rows, limit, key=lambda m: m.id)
    return ZoneMapPage(items=[_summary(m) for m in rows], next_cursor=next_cursor)


@maps_router.post(
    "/preview",
    summary="Preview a re-zoning against the map in force",
    responses=problem_responses(RuleViolated),
)
async def preview_zone_map(
    body: ZonePreviewIn, session: SessionDep, principal: Reader
) -> ZonePreviewRead:
    """The draft is checked like an import, and nothing is stored. For each point: old and new
    zone and school options, and whether its school changes; per school: seats (the seat plan
    of the year) and demand before and after. A household goes to its `current_choice` if its
    zone offers it, to the one school of a 单校 zone, and otherwise counts as an equal share of
    each school of its 多校 zone."""
    base, outcome = await service.preview_rezoning(session, principal, request=body)
    return ZonePreviewRead(
        base_map=_ref(base) if base is not None else None,
        zone_changed=outcome.zone_changed,
        school_changed=outcome.school_changed,
        points=[
            HouseholdChangeRead(
                id=c.id,
                old_zone_code=c.old_zone.zone_code if c.old_zone else None,
                new_zone_code=c.new_zone.zone_code if c.new_zone else None,
                old_school_codes=list(c.old_zone.school_codes) if c.old_zone else [],
                new_school_codes=list(c.new_zone.school_codes) if c.new_zone else [],
                old_school=c.old_school,
                new_school=c.new_school,
                changes_school=c.changes_school,
            )
            for c in outcome.households
        ],
        schools=[
            SchoolBalanceRead(
                school_code=b.school_code,
                seats=b.seats,
                demand_before=_decimal(b.demand_before),
                demand_after=_decimal(b.demand_after),
                balance_before=_optional(b.balance(b.demand_before)),
                balance_after=_optional(b.balance(b.demand_after)),
            )
            for b in outcome.schools
        ],
    )


def _decimal(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _optional(value: Fraction | None) -> Decimal | None:
    return None if value is None else _decimal(value)


@maps_router.get(
    "/{map_id}", summary="A zone map version with its zones", responses=problem_responses(NotFound)
)
async def get_zone_map(map_id: UUID, session: SessionDep, principal: Reader) -> ZoneMapRead:
    """Any version, old ones included: appeals refer to the zone in force at application."""
    zone_map = await ZoneMapRepository(session).get(map_id, within=principal.jurisdiction)
    return await _read(session, zone_map, await service.stored_zones(session, zone_map))


@zones_router.get(
    "/lookup", summary="The zone of one address", responses=problem_responses(NotFound)
)
async def lookup_zone(
    session: SessionDep,
    principal: Reader,
    county_code: CountyCode,
    level: Level,
    year: Annotated[int, Query(ge=2000, le=2100)],
    longitude: Annotated[Longitude, Query()],
    latitude: Annotated[Latitude, Query()],
    on: On = None,
) -> ZoneLookupRead:
    """The zone covering the point under the map in force `on`, and the schools it offers. A
    point on a border shared by zones belongs to the zone whose code sorts first; a point
    outside every zone is 404 `point_in_zone`."""
    zone_map, zone = await service.lookup(
        session,
        principal,
        county_code=county_code,
        level=level,
        year=year,
        longitude=longitude,
        latitude=latitude,
        on=on,
    )
    return ZoneLookupRead(
        zone_map=_ref(zone_map),
        zone_code=zone.zone_code,
        name=zone.name,
        zone_type=zone.zone_type,
        school_codes=list(zone.school_codes),
    )


@zones_router.post(
    "/lookups",
    summary="The zones of many addresses (CSV or JSON)",
    response_model=BulkLookupRead,
    responses={
        **problem_responses(BadRequest, NotFound, UnsupportedMediaType),
        200: {"content": {JSON: {}, CSV: {"schema": {"type": "string"}}}},
    },
    openapi_extra=body_openapi(BulkLookupIn, "id,longitude,latitude\nA1,109.98,39.82\n"),
)
async def lookup_zones(
    request: Request,
    session: SessionDep,
    principal: Reader,
    county_code: CountyCode,
    level: Level,
    year: Annotated[int, Query(ge=2000, le=2100)],
    on: On = None,
    content_type: Annotated[str, Header()] = "",
    accept: Annotated[str, Header()] = JSON,
) -> Response:
    """Send `id,longitude,latitude` as `text/csv` or an XLSX sheet (a bad row is reported as
    `rows[<line>].<field>` and nothing is looked up) or JSON `{"points": [...]}`. Answers JSON,
    or CSV `id,zone_code,zone_type,school_codes` (codes joined by `|`) for `Accept: text/csv`."""
    content = await request.body()
    media_type = media_type_of(content_type, (JSON, CSV, XLSX))
    if media_type != JSON:
        points = read_points(content, media_type)
    else:
        parsed = read_json(BULK_LOOKUP, content)
        points = PointTable(
            [p.id for p in parsed.points],
            np.array([p.longitude for p in parsed.points], dtype=np.float64),
            np.array([p.latitude for p in parsed.points], dtype=np.float64),
        )
    zone_map, index, found = await service.bulk_lookup(
        session,
        principal,
        county_code=county_code,
        level=level,
        year=year,
        on=on,
        points=points,
    )
    zones = [index.zones[i] if i >= 0 else None for i in found]
    if prefers_csv(accept):
        return Response(
            write_point_zones(
                [
                    (point_id, z.zone_code, z.zone_type, z.school_codes)
                    if z
                    else (point_id, None, None, ())
                    for point_id, z in zip(points.ids, zones, strict=True)
                ]
            ),
            media_type=CSV,
        )
    matched = sum(1 for z in zones if z is not None)
    answer = BulkLookupRead(
        zone_map=_ref(zone_map),
        matched=matched,
        unmatched=len(zones) - matched,
        results=[
            PointZone(
                id=point_id,
                zone_code=z.zone_code if z else None,
                zone_type=z.zone_type if z else None,
                school_codes=list(z.school_codes) if z else [],
            )
            for point_id, z in zip(points.ids, zones, strict=True)
        ],
    )
    return Response(answer.model_dump_json(), media_type=JSON)
