"""片区对口学校表: the school lists of a zone map's zones as a sheet (no geometry).

Export: one row per zone of a stored version — 片区代码, 片区名称, 片区类型, 对口学校 (codes joined
by `|`). Import: the sheet gives every zone of the newest version of a county, level and year its
(new) school list; the boundaries are kept and the result is stored as version n + 1 and
announced as `enrollment.zone_map.published`. A sheet that changes nothing (same names and
schools as the newest version) stores nothing and announces nothing: importing the same sheet
twice adds one version, not two. One bad row imports nothing.

Read by columns (`read_columns`, XLSX through calamine); plain rows are checked by polars
expressions (`imports.sheet_frame`), the others by `ZoneSchoolsRow`, which words their errors;
the zone and school checks then run per column and the errors are listed row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Annotated, Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.imports import sheet_frame, sheets
from enrollment.imports.models import SheetImport
from enrollment.seats.policy import Level
from enrollment.zoning import rules, service
from enrollment.zoning.models import ZONE_MAP_VERSION_DETAIL, ZONE_MAP_VERSION_UNIQUE, ZoneMap
from enrollment.zoning.repository import ZoneMapRepository
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.identifiers import SchoolCode
from junheng_kit.integrity import problem_for_integrity_error
from junheng_kit.messaging import add_event
from junheng_kit.problems import BadRequest, Conflict, FieldError, NotFound, RuleViolated
from junheng_kit.tabular import Column, SheetColumns, read_columns, reject_rows, row_errors

KIND = "zone_school_lists"
COLUMNS: tuple[Column, ...] = (
    Column("zone_code", ("片区代码",)),
    Column("name", ("片区名称",), required=False),
    Column("zone_type", ("片区类型",), required=False),  # written on export, ignored on import
    # one code typed as a number reads as that code (its leading zeros back), as in 学校信息表
    Column("school_codes", ("对口学校", "学校标识码"), text_width=10),
)
TYPE_LABELS = {"single_school": "单校划片", "multi_school": "多校划片"}


class ZoneSchoolsRow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    zone_code: str = Field(min_length=1, max_length=40)
    name: str | None = Field(None, min_length=1, max_length=100)
    school_codes: Annotated[list[SchoolCode], Field(min_length=1, max_length=50)]


SHEET = TypeAdapter(list[ZoneSchoolsRow])


def record_shape(values: dict[str, Any]) -> dict[str, Any]:
    codes = sheets.split_codes(values.get("school_codes"))
    if isinstance(codes, list):
        codes = [str(c) for c in codes]
    return {**values, "zone_code": str(values.get("zone_code", "")), "school_codes": codes}


def column_of(path: str) -> str:
    return path.split(".", 1)[0]


FRAME: dict[str, Any] = {
    "index": pl.Int64,
    "row": pl.Int64,
    "zone_code": pl.String,
    "name": pl.String,
    "school_codes": pl.List(pl.String),
}


def fast_path(sheet: SheetColumns) -> tuple[pl.DataFrame, list[int]]:
    """(plain rows checked column-wise in `FRAME`, positions of the others)."""
    frame = sheet_frame.text_frame(sheet, ["zone_code", "name", "school_codes"])
    staged = frame.with_columns(sheet_frame.code_list("school_codes").alias("codes"))
    plain = (
        ~pl.col("odd")
        & sheet_frame.length_between("zone_code", 1, 40)
        & (pl.col("name").is_null() | sheet_frame.length_between("name", 1, 100))
        & pl.col("codes").list.len().is_between(1, 50)
        & pl.col("codes").list.eval(sheet_frame.school_code(pl.element())).list.all()
    ).fill_null(False)
    staged = staged.with_columns(plain.alias("plain"))
    good = (
        staged.filter(pl.col("plain"))
        .with_columns(pl.col("codes").alias("school_codes"))
        .select(list(FRAME))
    )
    return good, staged.filter(~pl.col("plain"))["index"].to_list()


def validated(sheet: SheetColumns) -> pl.DataFrame:
    """Every row in `FRAME`, in sheet order: plain rows checked column-wise, the others by
    `ZoneSchoolsRow`, whose errors (every bad cell) reject the sheet as they always did."""
    if not sheet.rows:
        raise BadRequest(
            t("表格没有数据行", "the sheet has no data rows"), FieldError("body", "rows_required")
        )
    good, rest = fast_path(sheet)
    if not rest:
        return good
    subset = [sheet.record(i) for i in rest]
    rows = sheets.validated(SHEET, subset, record_shape, column_of)
    slow = pl.DataFrame(
        {
            "index": rest,
            "row": [r.row for r in subset],
            "zone_code": [r.zone_code for r in rows],
            "name": [r.name for r in rows],
            "school_codes": [list(r.school_codes) for r in rows],
        },
        schema=FRAME,
    )
    return pl.concat([good, slow]).sort("index")


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
            t(
                f"没有 {county_code} {year} 年的 {level} 学区图",
                f"no {level} zone map of county {county_code} for {year}",
            ),
            FieldError(
                "query.year",
                "zone_map_exists",
                t("请先导入学区的边界", "import the zones' shapes first"),
            ),
        )
    frame = validated(read_columns(content, media_type, COLUMNS, engine="calamine"))
    stored = {z.zone_code: z for z in await repository.zones(newest.id)}
    checked = frame.with_columns(
        pl.col("zone_code").is_in(list(stored)).alias("in_map"),
        pl.col("row").first().over("zone_code").alias("first"),
        sheet_frame.unique_list(pl.col("school_codes")).alias("codes_unique"),
    )
    numbers: list[int] = frame["row"].to_list()
    codes: list[list[str]] = frame["school_codes"].to_list()
    errors: list[FieldError] = []
    for number, in_map, first, codes_unique in checked.select(
        "row", "in_map", "first", "codes_unique"
    ).iter_rows():
        if not in_map:
            errors += row_errors(
                number,
                [
                    FieldError(
                        "zone_code",
                        "zone_in_map",
                        t(
                            f"不是版本 {newest.version} 的学区",
                            f"not a zone of version {newest.version}",
                        ),
                    )
                ],
            )
        elif first != number:
            errors += row_errors(
                number,
                [
                    FieldError(
                        "zone_code",
                        "zone_code_unique",
                        t(f"与第 {first} 行重复", f"also on row {first}"),
                    )
                ],
            )
        if not codes_unique:
            errors += row_errors(
                number,
                [
                    FieldError(
                        "school_codes",
                        "school_codes_unique",
                        t("同一学校被列出两次", "a school is listed twice"),
                    )
                ],
            )
    errors += await service.school_errors(
        session,
        [(f"rows[{n}].school_codes", c) for n, c in zip(numbers, codes, strict=True)],
        county_code=county_code,
        level=level,
    )
    seen = set(frame["zone_code"].to_list())
    missing = sorted(set(stored) - set(seen))
    errors += [
        FieldError(
            "rows",
            "zone_listed",
            t(
                f"版本 {newest.version} 的学区 {code} 没有对应的行",
                f"zone {code} of version {newest.version} has no row",
            ),
        )
        for code in missing
    ]
    reject_rows(errors)

    by_code = {
        code: (name, list(codes))
        for code, name, codes in frame.select("zone_code", "name", "school_codes").iter_rows()
    }
    zones: list[dict[str, Any]] = [
        {
            "zone_code": code,
            "name": by_code[code][0] or zone.name,
            "school_codes": by_code[code][1],
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
            rows=frame.height,
            created=0,
            updated=len(changed),
            unchanged=frame.height - len(changed),
            detail={"zone_map_id": str(zone_map.id), "version": zone_map.version,
                    "published": published},
        )  # fmt: skip

    if not changed:
        return SchoolListImport(await record(newest, False), newest, published=False)
    if effective_from < newest.effective_from:
        raise RuleViolated(
            t(
                "新版本的生效日期不能早于被替换的版本",
                "a new version cannot take effect before the one it replaces",
            ),
            FieldError(
                "query.effective_from",
                "effective_from_not_before_previous",
                t(
                    f"版本 {newest.version} 自 {newest.effective_from} 起生效",
                    f"version {newest.version} is in force from {newest.effective_from}",
                ),
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
        problem = problem_for_integrity_error(exc)
        if problem is None or ZONE_MAP_VERSION_UNIQUE not in problem.errors:
            raise
        # the JSON import's answer, about the year this sheet names in its query
        raise Conflict(
            ZONE_MAP_VERSION_DETAIL, replace(ZONE_MAP_VERSION_UNIQUE, field="query.year")
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
