"""入学申请导入: a county's applications for one school year as a sheet, checked exactly like
`POST /v1/applications` and written set-based.

The same checks, by the same functions: the schema (`ApplicationCreate`: 公民身份号码 format and
MOD 11-2 check digit, the optional 学籍号, phone, dates, …), `rules.child_problems` (a G 学籍号
carrying the ID, birth date inside the ID, a past birth date, the age rule under the priority
policy in force), the zone map in force (`ZoneIndex.locate`, the vectorised form of the lookup a
single submission makes), the options and choices (`rules.school_options`,
`rules.choice_problems`, against the schools' 学段 read by `ApplicationRepository.school_levels`),
a grade-7 row's 小学毕业学校 (`rules.primary_school_problems`) and one application per child and
school year (the same keyed hash, looked up by the same `ApplicationRepository.children_applied`).
Every problem of every row is reported as `rows[<sheet row>].<column>`; one bad row imports
nothing. Rows become applications, their audit-trail entries and `enrollment.application.submitted`
events in bulk statements.

Set-based: the sheet is read column by column (XLSX through the kit's calamine reader); rows in
the usual shapes pass the schema's cell checks as vectorised polars expressions
(`imports.application_frame`), every other row goes through `ApplicationCreate` itself, which
alone words the errors; the rules compare whole columns and run once per distinct case.

Re-importing: a sheet whose SHA-256 was already imported for the county answers that import
again and writes nothing; any other sheet naming a child who already applied that year is a
409 with the row (`application_unique`), as a second POST would be.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import numpy as np
import polars as pl
from pydantic import TypeAdapter
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import rules, sheet_checks
from enrollment.admission.models import Application, ApplicationEvent
from enrollment.admission.policies import cutoff_of
from enrollment.admission.repository import (
    ApplicationRepository,
    PolicyRepository,
    citizen_id_indexes,
)
from enrollment.admission.schemas import ApplicationCreate
from enrollment.imports import application_frame, sheets
from enrollment.imports.models import SheetImport
from enrollment.zoning.repository import ZoneMapRepository
from enrollment.zoning.rules import Zone
from enrollment.zoning.service import zone_index
from junheng_contracts.enrollment import ApplicationSubmitted
from junheng_kit.auth import Principal
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.fieldcrypt import encrypt
from junheng_kit.fieldcrypt_columns import EncryptedJSON, JSONWithEncryptedFields
from junheng_kit.i18n import t
from junheng_kit.identifiers import citizen_id_gender_expr, student_key
from junheng_kit.ids import uuid7_many
from junheng_kit.messaging.bulk import add_event_frame
from junheng_kit.problems import BadRequest, Conflict, FieldError
from junheng_kit.tabular import Column, SheetColumns, read_columns, reject_rows, row_errors
from junheng_kit.timeutil import utcnow

KIND = "applications"
COLUMNS: tuple[Column, ...] = (
    Column("grade", ("入学年级", "年级")),
    Column("child_citizen_id", ("学生公民身份号码", "学生身份证号"), text_width=18),
    Column("student_number", ("学籍号", "全国学籍号"), required=False),
    Column("child_name", ("学生姓名",)),
    Column("birth_date", ("出生日期",)),
    Column("guardian_name", ("监护人姓名",)),
    Column("guardian_relation", ("监护人关系", "与学生关系")),
    Column("guardian_phone", ("监护人手机号", "联系电话"), text_width=11),
    Column("hukou_county_code", ("户籍所在区县代码", "户籍区县代码"), text_width=6),
    Column("hukou_type", ("户口性质",)),
    Column("hukou_address", ("户籍地址",)),
    Column("hukou_longitude", ("户籍地址经度",), required=False),
    Column("hukou_latitude", ("户籍地址纬度",), required=False),
    Column("housing", ("住房情况",)),
    Column("residence_permit_issued_on", ("居住证签发日期",), required=False),
    Column("residence_permit_number", ("居住证号码",), required=False),
    Column("social_insurance_months", ("社保缴纳月数",), required=False),
    Column("home_address", ("现住址",)),
    Column("home_longitude", ("现住址经度",)),
    Column("home_latitude", ("现住址纬度",)),
    Column("choices", ("志愿学校",), required=False),
    Column("primary_school_code", ("小学毕业学校", "毕业小学"), required=False, text_width=10),
)
RELATION_LABELS = {"父亲": "father", "母亲": "mother", "祖父母": "grandparent", "其他": "other"}
HUKOU_LABELS = {"城镇": "urban", "非农业": "urban", "农村": "rural", "农业": "rural"}
HOUSING_LABELS = {"自有住房": "owned", "自有": "owned", "租赁": "rented", "其他": "other"}
GRADE_LABELS = {"一年级": 1, "七年级": 7, "初一": 7}
LABELS = {
    "guardian_relation": RELATION_LABELS,
    "hukou_type": HUKOU_LABELS,
    "housing": HOUSING_LABELS,
}
LABEL_OF = {
    "guardian_relation": {v: k for k, v in RELATION_LABELS.items()},
    "hukou_type": {"urban": "城镇", "rural": "农村"},
    "housing": {"owned": "自有住房", "rented": "租赁", "other": "其他"},
}
# the schema's path of a value → the sheet column it came from
COLUMN_OF_PATH = {
    "child.citizen_id": "child_citizen_id",
    "child.student_number": "student_number",
    "child.name": "child_name",
    "child.birth_date": "birth_date",
    "child": "child_citizen_id",
    "guardian.name": "guardian_name",
    "guardian.relation": "guardian_relation",
    "guardian.phone": "guardian_phone",
    "household.hukou.county_code": "hukou_county_code",
    "household.hukou.type": "hukou_type",
    "household.hukou.address": "hukou_address",
    "household.hukou.location.longitude": "hukou_longitude",
    "household.hukou.location.latitude": "hukou_latitude",
    "household.hukou.location": "hukou_longitude",
    "household.housing": "housing",
    "household.residence_permit.issued_on": "residence_permit_issued_on",
    "household.residence_permit.number": "residence_permit_number",
    "household.social_insurance_months": "social_insurance_months",
    "home.address": "home_address",
    "home.longitude": "home_longitude",
    "home.latitude": "home_latitude",
    "home": "home_longitude",
}
SHEET = TypeAdapter(list[ApplicationCreate])
APPLICATION = cast(Table, Application.__table__)
TRAIL = cast(Table, ApplicationEvent.__table__)
JSON_COLUMNS = frozenset({"guardian", "household", "home_schools", "hukou_schools", "choices"})
HOUSEHOLD_LEAVES = {  # sheet column → its path in the stored household document
    "hukou_address": ("hukou", "address"),
    "residence_permit_number": ("residence_permit", "number"),
}
GUARDIAN = cast(EncryptedJSON, APPLICATION.c.guardian.type).column  # its associated data
_INDEX = re.compile(r"(\.\d+|\[\d+\])$")


def column_of(path: str) -> str:
    """`household.hukou.type` → `hukou_type`; `choices[2]` / `choices.2` → `choices`."""
    path = _INDEX.sub("", path)
    return COLUMN_OF_PATH.get(path, path)


def _grade(value: Any) -> Any:
    """一年级 / 七年级, "1" / "7" (a CSV cell) or 1.0 (a spreadsheet number) as the integer."""
    value = sheets.from_label(value, GRADE_LABELS)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def record_shape(county_code: str, year: int) -> Any:
    def shape(values: dict[str, Any]) -> dict[str, Any]:
        def pop(field: str) -> Any:
            return values.pop(field, None)

        hukou: dict[str, Any] = {
            "county_code": pop("hukou_county_code"),
            "type": sheets.from_label(pop("hukou_type"), HUKOU_LABELS),
            "address": pop("hukou_address"),
        }
        hukou_longitude, hukou_latitude = pop("hukou_longitude"), pop("hukou_latitude")
        if hukou_longitude is not None or hukou_latitude is not None:
            hukou["location"] = {"longitude": hukou_longitude, "latitude": hukou_latitude}
        household: dict[str, Any] = {
            "hukou": hukou,
            "housing": sheets.from_label(pop("housing"), HOUSING_LABELS),
        }
        issued_on, number = pop("residence_permit_issued_on"), pop("residence_permit_number")
        if issued_on is not None or number is not None:
            household["residence_permit"] = {
                "issued_on": sheets.sheet_date(issued_on),
                "number": None if number is None else str(number),
            }
        months = pop("social_insurance_months")
        if months is not None:
            household["social_insurance_months"] = months
        choices = sheets.split_codes(pop("choices"))
        primary = pop("primary_school_code")
        return {
            "county_code": county_code,
            "year": year,
            "grade": _grade(pop("grade")),
            "child": {
                "citizen_id": pop("child_citizen_id"),
                "name": pop("child_name"),
                "birth_date": sheets.sheet_date(pop("birth_date")),
                **({"student_number": sn} if (sn := pop("student_number")) is not None else {}),
            },
            "guardian": {
                "name": pop("guardian_name"),
                "relation": sheets.from_label(pop("guardian_relation"), RELATION_LABELS),
                "phone": None if (phone := pop("guardian_phone")) is None else str(phone),
            },
            "household": household,
            "home": {
                "address": pop("home_address"),
                "longitude": pop("home_longitude"),
                "latitude": pop("home_latitude"),
            },
            **({"choices": choices} if choices is not None else {}),
            **({"primary_school_code": primary} if primary is not None else {}),
            **values,  # anything left is not a column of ApplicationCreate: the schema says so
        }

    return shape


@dataclass(frozen=True, slots=True)
class ApplicationImport:
    record: SheetImport
    replayed: bool  # the same sheet was imported before: nothing was written this time


async def import_applications(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    content: bytes,
    media_type: str,
    secret: bytes,
    today: date,
) -> ApplicationImport:
    """Submit every application of the sheet, all or nothing.

    Set-based from end to end: the sheet is read column-wise, plain rows are checked by
    vectorised expressions (the rest by the POST's schema), the rules run per column or once per
    distinct case, and the rows, trail entries and events are written by column-wise INSERTs of
    pre-encoded JSON. The sheet's hundreds of thousands of small objects hold no reference
    cycles: the import route runs with the cyclic collector paused (kit `CollectorPausedRoute`)."""
    principal.require_jurisdiction(county_code, field="query.county_code")
    sha256 = sheets.content_sha256(content)
    earlier = await sheets.earlier_import(
        session, kind=KIND, county_code=county_code, sha256=sha256
    )
    if earlier is not None:
        return ApplicationImport(earlier, replayed=True)
    frame = _validated(
        read_columns(content, media_type, COLUMNS, engine="calamine"),
        county_code=county_code,
        year=year,
    )
    levels: list[rules.Level] = [rules.LEVEL_OF_GRADE[g] for g in frame["grade"].to_list()]
    policies = PolicyRepository(session)
    cutoffs = {
        level: cutoff_of(await policies.in_force(county_code, year, level, on=today))
        for level in sorted(set(levels))
    }
    citizen_ids = frame["citizen_id"].to_list()
    keys = [student_key(secret, c) for c in citizen_ids]
    indexes = citizen_id_indexes(citizen_ids)  # the stored IDs are encrypted: by blind index
    applications = ApplicationRepository(session)
    stored = {index for _, index in await applications.children_applied((year, i) for i in indexes)}
    located = await _locate(session, frame, levels, county_code=county_code, year=year, on=today)
    wanted = set(frame["choices"].explode().drop_nulls().unique().to_list()) | {
        c for zone in located.zones for c in zone.school_codes
    }
    wanted |= set(frame["primary_school_code"].drop_nulls().unique().to_list())
    school_levels = await applications.school_levels(wanted)

    problems = sheet_checks.child_problems(frame, levels, cutoffs, year=year, today=today)
    duplicates = sheet_checks.duplicates(frame["row"].to_list(), indexes, stored)
    options = sheet_checks.choices(
        frame, levels, located, problems, school_levels, county_code=county_code, year=year
    )
    sheet_checks.primary_schools(frame, levels, problems, school_levels)
    numbers = frame["row"].to_list()
    errors = [
        e
        for i, found in sorted(problems.items())
        for e in row_errors(
            numbers[i],
            [FieldError(column_of(p.error.field), p.error.rule, p.error.message)
             for p in found],
        )
    ]  # fmt: skip
    if duplicates and not errors:
        raise Conflict(
            t(
                f"{len(duplicates)} 行数据中的儿童已提交申请，未导入任何内容",
                f"{len(duplicates)} row(s) name a child who already applied; nothing was imported",
            ),
            *duplicates[:1000],
        )
    reject_rows(sorted(errors + duplicates, key=lambda e: sheet_checks.row_of(e.field)))

    record = await _write(
        session, principal, frame, keys, indexes, levels, options,
        county_code=county_code, year=year, content=content, media_type=media_type,
    )  # fmt: skip
    return ApplicationImport(record, replayed=False)


def _validated(sheet: SheetColumns, *, county_code: str, year: int) -> pl.DataFrame:
    """Every row normalised (`application_frame.SCHEMA`, in sheet order). Plain rows are checked
    column-wise; the others by `ApplicationCreate`, whose errors (every bad cell) reject the
    sheet as they always did."""
    if not sheet.rows:
        raise BadRequest(
            t("表格没有数据行", "the sheet has no data rows"), FieldError("body", "rows_required")
        )
    good, rest = application_frame.validate(
        application_frame.raw_frame(sheet), county_code=county_code, year=year, labels=LABELS
    )
    if rest.height == 0:
        return good
    indices = rest["index"].to_list()
    subset = [sheet.record(i) for i in indices]
    rows = sheets.validated(SHEET, subset, record_shape(county_code, year), column_of)
    slow = application_frame.from_rows(indices, [r.row for r in subset], rows)
    return pl.concat([good, slow]).sort("index")


async def _locate(
    session: AsyncSession,
    frame: pl.DataFrame,
    levels: Sequence[rules.Level],
    *,
    county_code: str,
    year: int,
    on: date,
) -> sheet_checks.Located:
    """Zones in force on `on`, looked up for all homes and 户籍 addresses at once with the
    `ZoneIndex` a single submission uses (`zone_options`); a 户籍 address counts when it is in
    this county and located."""
    level_of = np.asarray(levels, dtype=object)
    home_lon, home_lat = frame["home_longitude"].to_numpy(), frame["home_latitude"].to_numpy()
    hukou_lon = frame["hukou_longitude"].fill_null(0.0).to_numpy()
    hukou_lat = frame["hukou_latitude"].fill_null(0.0).to_numpy()
    located_hukou = (
        (frame["hukou_county_code"] == county_code) & frame["hukou_longitude"].is_not_null()
    ).to_numpy()
    zones: list[Zone] = []
    home = np.full(frame.height, -1, dtype=np.int64)
    hukou = np.full(frame.height, -1, dtype=np.int64)
    maps = ZoneMapRepository(session)
    for level in sorted(set(levels)):
        zone_map = await maps.in_force(county_code, level, year, on)
        if zone_map is None:
            continue
        index = await zone_index(session, zone_map)
        offset = len(zones)
        zones += index.zones
        mine = np.flatnonzero(level_of == level)
        found = index.locate(home_lon[mine], home_lat[mine])
        home[mine] = np.where(found < 0, -1, found + offset)
        mine = np.flatnonzero((level_of == level) & located_hukou)
        found = index.locate(hukou_lon[mine], hukou_lat[mine])
        hukou[mine] = np.where(found < 0, -1, found + offset)
    return sheet_checks.Located(zones, home, hukou)


async def _write(
    session: AsyncSession,
    principal: Principal,
    frame: pl.DataFrame,
    keys: Sequence[str],
    indexes: Sequence[str],
    levels: Sequence[rules.Level],
    options: sheet_checks.Options,
    *,
    county_code: str,
    year: int,
    content: bytes,
    media_type: str,
) -> SheetImport:
    """Applications, their `submitted` trail entries and `enrollment.application.submitted`
    events: column-wise INSERTs, the JSON documents encoded by polars (the same documents
    `model_dump` gives a POST), the envelopes by the kit's `add_event_frame`. Personal columns
    are encrypted once per value: by their column type in `insert_columns`, the guardian's JSON
    text (given encoded) here."""
    now = utcnow()
    count = frame.height
    ids = uuid7_many(count)
    migrant = frame["hukou_county_code"] != county_code
    sealed = _household_leaves_sealed(frame)
    documents = sealed.select(
        application_frame.guardian_json().alias("guardian"),
        application_frame.household_json().alias("household"),
        citizen_id_gender_expr().alias("gender"),
    )
    detail = {ranked: f'{{"choices":{ranked},"imported":true}}' for ranked in set(options.choices)}
    applications: dict[str, list[Any]] = {
        "id": ids,
        "county_code": [county_code] * count,
        "year": [year] * count,
        "level": list(levels),
        "grade": frame["grade"].to_list(),
        "child_key": list(keys),
        "citizen_id": frame["citizen_id"].to_list(),
        "citizen_id_index": list(indexes),
        "student_number": frame["student_number"].to_list(),
        "child_name": frame["child_name"].to_list(),
        "birth_date": frame["birth_date"].to_list(),
        "gender": documents["gender"].to_list(),
        "guardian": [encrypt(g, GUARDIAN) for g in documents["guardian"].to_list()],
        "household": documents["household"].to_list(),
        "migrant": migrant.to_list(),
        "home_longitude": frame["home_longitude"].to_list(),
        "home_latitude": frame["home_latitude"].to_list(),
        "home_address": frame["home_address"].to_list(),
        "home_zone_code": options.home_zone_code,
        "hukou_zone_code": options.hukou_zone_code,
        "home_schools": options.home_schools,
        "hukou_schools": options.hukou_schools,
        "choices": options.choices,
        "primary_school_code": frame["primary_school_code"].to_list(),
        "status": ["submitted"] * count,
        "status_reason": [None] * count,
        "created_by": [principal.client_id] * count,
        "created_at": [now] * count,
        "updated_at": [now] * count,
        "version": [1] * count,
    }
    trail: dict[str, list[Any]] = {
        "application_id": ids,
        "at": [now] * count,
        "actor": [principal.client_id] * count,
        "action": ["submitted"] * count,
        "from_status": [None] * count,
        "to_status": ["submitted"] * count,
        "reason": [None] * count,
        "detail": [detail[c] for c in options.choices],
    }
    subjects = [str(i) for i in ids]
    events = pl.DataFrame(
        {
            "subject": subjects,
            "jurisdiction": [county_code] * count,
            "data": pl.DataFrame(
                {
                    "application_id": subjects,
                    "county_code": [county_code] * count,
                    "year": [year] * count,
                    "level": list(levels),
                    "grade": frame["grade"],
                    "student_key": list(keys),
                    "migrant": migrant,
                    # from the JSON text: no Series per row
                    "choices": pl.Series(options.choices).str.json_decode(pl.List(pl.String)),
                }
            ).to_struct(),
        }
    )
    connection = await session.connection()
    await insert_columns(connection, APPLICATION, applications, encoded=JSON_COLUMNS)
    await insert_columns(connection, TRAIL, trail, encoded={"detail"})
    await add_event_frame(session, ApplicationSubmitted, events)
    by_level: dict[str, int] = defaultdict(int)
    for level in levels:
        by_level[level] += 1
    return await sheets.record_import(
        session,
        principal,
        kind=KIND,
        county_code=county_code,
        content=content,
        media_type=media_type,
        rows=count,
        created=count,
        detail={"year": year, "by_level": dict(by_level), "migrant": int(migrant.sum())},
    )


def _household_leaves_sealed(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with the household's personal leaves (户籍 address, 居住证 number) encrypted,
    once per value, before polars encodes the document (`insert_columns` takes it as is)."""
    kind = cast(JSONWithEncryptedFields, APPLICATION.c.household.type)
    return frame.with_columns(
        pl.Series(
            column,
            [None if v is None else encrypt(v, kind.field_name(path)) for v in frame[column]],
            pl.String,
        )
        for column, path in HOUSEHOLD_LEAVES.items()
    )
