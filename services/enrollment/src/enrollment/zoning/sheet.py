"""片区对口学校表: the school lists of a zone map's zones as a sheet (no geometry).

Export: one row per zone of a stored version — 片区代码, 片区名称, 片区类型, 对口学校 (codes joined
by `|`). Import: the sheet gives every zone of the newest version of a county, level and year its
(new) school list; the boundaries are kept and the result is stored as version n + 1 and
announced as `enrollment.zone_map.published`. A sheet that changes nothing (same names and
schools as the newest version) stores nothing and announces nothing: importing the same sheet
twice adds one version, not two. One bad row imports nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.imports import sheets
from enrollment.imports.models import SheetImport
from enrollment.seats.policy import Level
from enrollment.zoning import rules, service
from enrollment.zoning.models import ZoneMap
from enrollment.zoning.repository import ZoneMapRepository
from junheng_kit.auth import Principal
from junheng_kit.identifiers import SchoolCode
from junheng_kit.messaging import add_event
from junheng_kit.problems import Conflict, FieldError, NotFound, RuleViolated
from junheng_kit.tabular import Column, read_records, reject_rows, row_errors

KIND = "zone_school_lists"
COLUMNS: tuple[Column, ...] = (
    Column("zone_code", ("片区代码",)),
    Column("name", ("片区名称",), required=False),
    Column("zone_type", ("片区类型",), required=False),  # written on export, ignored on import
    Column("school_codes", ("对口学校", "学校标识码")),
)
TYPE_LABELS = {"single_school": "单校划片", "multi_school": "多校划片"}


class ZoneSchoolsRow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    zone_code: str = Field(min_length=1, max_length=40)
    name: str | None = Field(None, min_length=1, max_length=100)
    school_codes: Annotated[list[SchoolCode], Field(min_length=1, max_length=50)]


SHEET = TypeAdapter(list[ZoneSchoolsRow])


def _shape(values: dict[str, Any]) -> dict[str, Any]:
    codes = sheets.split_codes(values.get("school_codes"))
    if isinstance(codes, list):
        codes = [str(c) for c in codes]
    return {**values, "zone_code": str(values.get("zone_code", "")), "school_codes": codes}


def _column_of(path: str) -> str:
    return path.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class SchoolListImport:
    record: SheetImport
    zone_map: ZoneMap
    published: bool  # False: the sheet changed nothing, no version was added


async def import_school_lists(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    level: Level,
    year: int,
    effective_from: date,
    content: bytes,
    media_type: str,
) -> SchoolListImport:
    principal.require_jurisdiction(county_code, field="query.county_code")
    repository = ZoneMapRepository(session)
    newest = await repository.newest(county_code, level, year)
    if newest is None:
        raise NotFound(
            f"no {level} zone map of county {county_code} for {year}",
            FieldError("query.year", "zone_map_exists", "import the zones' shapes first"),
        )
    records = read_records(content, media_type, COLUMNS)
    rows = sheets.validated(SHEET, records, _shape, _column_of)
    numbers = [r.row for r in records]
    stored = {z.zone_code: z for z in await repository.zones(newest.id)}
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for row, number in zip(rows, numbers, strict=True):
        if row.zone_code not in stored:
            errors += row_errors(
                number,
                [FieldError("zone_code", "zone_in_map", f"not a zone of version {newest.version}")],
            )
        elif row.zone_code in seen:
            errors += row_errors(
                number,
                [FieldError("zone_code", "zone_code_unique", f"also on row {seen[row.zone_code]}")],
            )
        seen.setdefault(row.zone_code, number)
        if len(set(row.school_codes)) != len(row.school_codes):
            errors += row_errors(
                number,
                [FieldError("school_codes", "school_codes_unique", "a school is listed twice")],
            )
    errors += await service.school_errors(
        session,
        [(f"rows[{n}].school_codes", r.school_codes) for r, n in zip(rows, numbers, strict=True)],
        county_code=county_code,
        level=level,
    )
    missing = sorted(set(stored) - set(seen))
    errors += [
        FieldError("rows", "zone_listed", f"zone {code} of version {newest.version} has no row")
        for code in missing
    ]
    reject_rows(errors)

    by_code = {r.zone_code: r for r in rows}
    zones: list[dict[str, Any]] = [
        {
            "zone_code": code,
            "name": by_code[code].name or zone.name,
            "school_codes": list(by_code[code].school_codes),
            "geometry_wkb": zone.geometry_wkb,
            "area_m2": zone.area_m2,
        }
        for code, zone in stored.items()
    ]
    changed = [
        z for z in zones
        if (z["name"], z["school_codes"]) != (stored[z["zone_code"]].name,
                                              list(stored[z["zone_code"]].school_codes))
    ]  # fmt: skip

    async def record(zone_map: ZoneMap, published: bool) -> SheetImport:
        return await sheets.record_import(
            session,
            principal,
            kind=KIND,
            county_code=county_code,
            content=content,
            media_type=media_type,
            rows=len(rows),
            created=0,
            updated=len(changed),
            unchanged=len(rows) - len(changed),
            detail={"zone_map_id": str(zone_map.id), "version": zone_map.version,
                    "published": published},
        )  # fmt: skip

    if not changed:
        return SchoolListImport(await record(newest, False), newest, published=False)
    if effective_from < newest.effective_from:
        raise RuleViolated(
            "a new version cannot take effect before the one it replaces",
            FieldError(
                "query.effective_from",
                "effective_from_not_before_previous",
                f"version {newest.version} is in force from {newest.effective_from}",
            ),
        )
    zone_map = ZoneMap(
        county_code=county_code,
        level=level,
        year=year,
        version=newest.version + 1,
        effective_from=effective_from,
        zone_count=len(zones),
        source_sha256=sheets.content_sha256(content),  # of this sheet; shapes are version n's
        created_by=principal.client_id,
    )
    try:
        await repository.add(zone_map, zones)
    except IntegrityError as exc:
        raise Conflict(
            "another version of this zone map was stored at the same time; retry",
            FieldError("query.year", "zone_map_version_unique"),
        ) from exc
    published = [
        rules.Zone(z["zone_code"], z["name"], tuple(z["school_codes"]), None) for z in zones
    ]
    add_event(session, service.published_event(zone_map, published))
    return SchoolListImport(await record(zone_map, True), zone_map, published=True)


def export_rows(zones: Sequence[service.StoredZone]) -> list[list[Any]]:
    return [
        [
            s.zone.zone_code,
            s.zone.name,
            TYPE_LABELS["single_school" if len(s.zone.school_codes) == 1 else "multi_school"],
            sheets.join_codes(s.zone.school_codes),
        ]
        for s in zones
    ]
