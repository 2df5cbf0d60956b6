"""学校信息表: the school registry as a sheet, imported set-based (upsert by 学校标识码).

A new code registers the school (`enrollment.school.registered`); a known one with other values
updates it (`enrollment.school.updated`, version + 1); a row equal to the registry changes
nothing, so importing the same sheet twice registers nothing twice. One bad row imports nothing.

The national codes (办学类型, 城乡分类代码, 统计用区划代码, 办学性质) are optional columns taking
the code or its Chinese label; a blank cell (or a sheet without the column) keeps what the
registry holds, and the entry as it will be is checked as a whole (`sheet_checks.code_errors`).

Column-wise from end to end: the sheet is read by columns (`read_columns`, XLSX through
calamine), plain rows are checked by polars expressions (`imports.sheet_frame`) and the others
by `SchoolCreate` itself, duplicates and jurisdictions are found per column, the registry is
compared by one join, new schools are one column-wise INSERT, changed ones one executemany
UPDATE, and the events are encoded column-wise (`add_event_frame`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import polars as pl
from pydantic import TypeAdapter
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.imports import sheet_frame, sheets
from enrollment.imports.models import SheetImport
from enrollment.schools.models import School
from enrollment.schools.schemas import SchoolCreate
from enrollment.schools.sheet_checks import code_errors
from junheng_contracts.enrollment import SchoolRegistered, SchoolUpdated
from junheng_kit.auth import Principal
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.i18n import t
from junheng_kit.identifiers import PROVINCES
from junheng_kit.messaging.bulk import add_event_frame
from junheng_kit.problems import BadRequest, FieldError
from junheng_kit.school_codes import (
    OWNERSHIP_LOOKUP,
    SCHOOL_TYPE_LOOKUP,
    URBAN_RURAL_LOOKUP,
    ownership_label,
    school_type_label,
)
from junheng_kit.tabular import Column, SheetColumns, read_columns, reject_rows, row_errors
from junheng_kit.timeutil import utcnow

KIND = "schools"
COLUMNS: tuple[Column, ...] = (
    Column("school_code", ("学校标识码", "学校代码"), text_width=10),
    Column("name", ("学校名称",)),
    Column("levels", ("学段",)),
    Column("county_code", ("所在区县代码", "区县代码", "行政区划代码"), text_width=6),
    Column("longitude", ("经度",)),
    Column("latitude", ("纬度",)),
    Column("planned_capacity", ("规划学位数",)),
    Column("school_type", ("办学类型", "办学类型代码"), required=False, text_width=3),
    Column("urban_rural_code", ("城乡分类代码", "城乡分类"), required=False, text_width=3),
    Column("division_code", ("统计用区划代码",), required=False, text_width=12),
    Column("ownership", ("办学性质", "公办民办"), required=False),
)
LEVEL_LABELS = {
    "小学": "primary",
    "初中": "junior",
    "九年一贯制": "nine_year",
    "完全中学": "complete_secondary",
}
LABEL_OF_LEVEL = {code: label for label, code in LEVEL_LABELS.items()}
SHEET = TypeAdapter(list[SchoolCreate])
SCHOOL = cast(Table, School.__table__)
CHUNK = 2000
CODES = ("school_type", "urban_rural_code", "division_code", "ownership")
VALUES = (
    "name", "levels", "county_code", "longitude", "latitude", "planned_capacity", *CODES
)  # fmt: skip
SCHEMA: dict[str, Any] = {
    "index": pl.Int64,
    "row": pl.Int64,
    "school_code": pl.String,
    "name": pl.String,
    "levels": pl.List(pl.String),
    "county_code": pl.String,
    "longitude": pl.Float64,
    "latitude": pl.Float64,
    "planned_capacity": pl.Int64,
    **{code: pl.String for code in CODES},
}
LOOKUPS = {
    "school_type": SCHOOL_TYPE_LOOKUP,
    "urban_rural_code": URBAN_RURAL_LOOKUP,
    "ownership": OWNERSHIP_LOOKUP,
}
_CAPACITY = r"^[1-9][0-9]{0,4}$"


def record_shape(values: dict[str, Any]) -> dict[str, Any]:
    levels = sheets.split_codes(values.pop("levels", None))
    if isinstance(levels, list):
        levels = [sheets.from_label(level, LEVEL_LABELS) for level in levels]
    location = {k: values.pop(k) for k in ("longitude", "latitude") if k in values}
    return {**values, "levels": levels, "location": location}


def column_of(path: str) -> str:
    if path.startswith("location."):
        return path.removeprefix("location.")
    return path.split(".", 1)[0] if path.startswith("levels") else path


def fast_path(sheet: SheetColumns) -> tuple[pl.DataFrame, list[int]]:
    """(plain rows checked and normalised column-wise in `SCHEMA`, positions of the others)."""
    frame = sheet_frame.text_frame(
        sheet,
        [c.field for c in COLUMNS],
        numbers={"longitude", "latitude", "planned_capacity"},
    )
    lookup = {**LEVEL_LABELS, **{code: code for code in LEVEL_LABELS.values()}}
    codes = [
        pl.col(field)
        .replace_strict(dict(table), default=None, return_dtype=pl.String)
        .alias(f"{field}_code")
        for field, table in LOOKUPS.items()
    ]
    levels = sheet_frame.code_list("levels").list.eval(
        pl.element().replace_strict(lookup, default=None, return_dtype=pl.String)
    )
    staged = frame.with_columns(
        levels.alias("codes"),
        sheet_frame.decimal("longitude").alias("x"),
        sheet_frame.decimal("latitude").alias("y"),
        pl.when(pl.col("planned_capacity").str.contains(_CAPACITY))
        .then(pl.col("planned_capacity").cast(pl.Int64, strict=False))
        .alias("seats"),
        *codes,
    )
    division = pl.col("division_code")
    plain = (
        ~pl.col("odd")
        & sheet_frame.school_code(pl.col("school_code"))
        & sheet_frame.length_between("name", 2, 100)
        & pl.col("codes").list.len().is_between(1, 4)
        & pl.col("codes").list.eval(pl.element().is_not_null()).list.all()
        & sheet_frame.unique_list(pl.col("codes"))
        & sheet_frame.county_code(pl.col("county_code"))
        & sheet_frame.within(pl.col("x"), 73.0, 135.5)
        & sheet_frame.within(pl.col("y"), 3.5, 53.6)
        & sheet_frame.within(pl.col("seats"), 1, 20000)
        & pl.all_horizontal(
            pl.col(field).is_null() | pl.col(f"{field}_code").is_not_null() for field in LOOKUPS
        )
        & (
            division.is_null()
            | (
                division.str.contains(r"^[0-9]{12}$")
                & division.str.slice(0, 2).is_in(sorted(PROVINCES))
            )
        )
    ).fill_null(False)
    staged = staged.with_columns(plain.alias("plain"))
    good = (
        staged.filter(pl.col("plain"))
        .with_columns(
            pl.col("codes").alias("levels"),
            pl.col("x").alias("longitude"),
            pl.col("y").alias("latitude"),
            pl.col("seats").alias("planned_capacity"),
            *(pl.col(f"{field}_code").alias(field) for field in LOOKUPS),
        )
        .select(list(SCHEMA))
    )
    return good, staged.filter(~pl.col("plain"))["index"].to_list()


def from_rows(
    indices: Sequence[int], numbers: Sequence[int], rows: Sequence[SchoolCreate]
) -> pl.DataFrame:
    """Rows `SchoolCreate` validated, in the fast path's shape."""
    return pl.DataFrame(
        {
            "index": list(indices),
            "row": list(numbers),
            "school_code": [r.school_code for r in rows],
            "name": [r.name for r in rows],
            "levels": [list(r.levels) for r in rows],
            "county_code": [r.county_code for r in rows],
            "longitude": [r.location.longitude for r in rows],
            "latitude": [r.location.latitude for r in rows],
            "planned_capacity": [r.planned_capacity for r in rows],
            **{code: [getattr(r, code) for r in rows] for code in CODES},
        },
        schema=SCHEMA,
    )


def validated(sheet: SheetColumns) -> pl.DataFrame:
    """Every row normalised (`SCHEMA`, in sheet order): plain rows column-wise, the others by
    `SchoolCreate`, whose errors (every bad cell) reject the sheet as they always did."""
    if not sheet.rows:
        raise BadRequest(
            t("表格没有数据行", "the sheet has no data rows"), FieldError("body", "rows_required")
        )
    good, rest = fast_path(sheet)
    if not rest:
        return good
    subset = [sheet.record(i) for i in rest]
    rows = sheets.validated(SHEET, subset, record_shape, column_of)
    return pl.concat([good, from_rows(rest, [r.row for r in subset], rows)]).sort("index")


def _duplicates(frame: pl.DataFrame) -> list[FieldError]:
    """Each row repeating an earlier row's 学校标识码, naming that row."""
    repeated = frame.with_columns(pl.col("row").first().over("school_code").alias("first")).filter(
        pl.col("row") != pl.col("first")
    )
    return [
        e
        for number, first in repeated.select("row", "first").iter_rows()
        for e in row_errors(
            number,
            [
                FieldError(
                    "school_code",
                    "school_code_unique",
                    t(
                        f"第 {first} 行有相同的学校标识码",
                        f"the same 学校标识码 (school identification code) is on row {first}",
                    ),
                )
            ],
        )
    ]


async def _registered(session: AsyncSession, codes: list[str]) -> pl.DataFrame:
    """The registry's schools among `codes`, as `<field>_old` columns."""
    columns = [SCHOOL.c.school_code, *(SCHOOL.c[f] for f in VALUES), SCHOOL.c.version]
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(codes), 5000):
        result = await session.execute(
            select(*columns).where(SCHOOL.c.school_code.in_(codes[start : start + 5000]))
        )
        found += [tuple(r) for r in result]
    schema = {
        "school_code": pl.String,
        **{f"{f}_old": SCHEMA[f] for f in VALUES},
        "version_old": pl.Int64,
    }
    return pl.DataFrame(found, schema=schema, orient="row")


def _event_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """subject, jurisdiction and `SchoolData` (its fields in its order) per row."""
    return frame.select(
        pl.col("school_code").alias("subject"),
        pl.col("county_code").alias("jurisdiction"),
        pl.struct(
            "school_code", "name", "levels", "county_code", "longitude", "latitude",
            "planned_capacity", "version", *CODES,
        ).alias("data"),
    )  # fmt: skip


async def import_schools(
    session: AsyncSession, principal: Principal, *, content: bytes, media_type: str
) -> SheetImport:
    """Register or update every school of the sheet, all or nothing."""
    frame = validated(read_columns(content, media_type, COLUMNS, engine="calamine"))
    outside = [
        code for code in frame["county_code"].unique().to_list()
        if not principal.jurisdiction.covers_code(code)
    ]  # fmt: skip
    sheets.require_counties(
        principal,
        [
            (n, "county_code", c)
            for n, c in frame.filter(pl.col("county_code").is_in(outside))
            .select("row", "county_code")
            .iter_rows()
        ],
    )
    errors = _duplicates(frame)
    joined = frame.join(
        await _registered(session, frame["school_code"].unique().sort().to_list()),
        on="school_code",
        how="left",
    ).sort("index")
    # a blank code cell (or no such column) keeps what the registry holds
    joined = joined.with_columns(pl.coalesce(code, f"{code}_old").alias(code) for code in CODES)
    foreign = [
        code for code in joined["county_code_old"].drop_nulls().unique().to_list()
        if not principal.jurisdiction.covers_code(code)
    ]  # fmt: skip
    for number, known in (
        joined.filter(pl.col("county_code_old").is_in(foreign))
        .select("row", "county_code_old")
        .iter_rows()
    ):
        errors += row_errors(
            number,
            [
                FieldError(
                    "school_code",
                    "jurisdiction",
                    t(
                        f"已登记在 {known}，不在此客户端的管辖区域内",
                        f"registered in {known}, outside this client's jurisdiction",
                    ),
                )
            ],
        )
    errors += code_errors(joined)
    reject_rows(errors)

    now = utcnow()
    known = pl.col("version_old").is_not_null()
    differs = pl.any_horizontal([pl.col(f).ne_missing(pl.col(f"{f}_old")) for f in VALUES])
    new = joined.filter(~known).with_columns(pl.lit(1, dtype=pl.Int64).alias("version"))
    changed = joined.filter(known & differs).with_columns(
        (pl.col("version_old") + 1).alias("version")
    )
    if new.height:
        await insert_columns(
            await session.connection(),
            SCHOOL,
            {
                **{f: new[f].to_list() for f in ("school_code", *VALUES, "version")},
                "created_at": [now] * new.height,
                "updated_at": [now] * new.height,
            },
        )
    if changed.height:
        statement = (
            update(SCHOOL)
            .where(SCHOOL.c.school_code == bindparam("b_code"))
            .values({f: bindparam(f"b_{f}") for f in (*VALUES, "version", "updated_at")})
        )
        fields = (*VALUES, "version")
        parameters = [
            {"b_code": code, **{f"b_{f}": v for f, v in zip(fields, values, strict=True)},
             "b_updated_at": now}
            for code, *values in changed.select("school_code", *fields).iter_rows()
        ]  # fmt: skip
        for start in range(0, len(parameters), CHUNK):
            await session.execute(statement, parameters[start : start + CHUNK])
    await add_event_frame(session, SchoolRegistered, _event_frame(new))
    await add_event_frame(session, SchoolUpdated, _event_frame(changed))
    counties = frame["county_code"].unique().to_list()
    return await sheets.record_import(
        session,
        principal,
        kind=KIND,
        county_code=counties[0] if len(counties) == 1 else None,
        content=content,
        media_type=media_type,
        rows=frame.height,
        created=new.height,
        updated=changed.height,
        unchanged=frame.height - new.height - changed.height,
    )


def export_rows(schools: Sequence[School]) -> list[list[Any]]:
    """The registry in the import's column order (学段, 办学类型 and 办学性质 as Chinese labels,
    城乡分类代码 and 统计用区划代码 as codes)."""
    return [
        [
            s.school_code,
            s.name,
            "、".join(LABEL_OF_LEVEL.get(level, level) for level in s.levels),
            s.county_code,
            s.longitude,
            s.latitude,
            s.planned_capacity,
            school_type_label(s.school_type),
            s.urban_rural_code,
            s.division_code,
            ownership_label(s.ownership),
        ]
        for s in schools
    ]
