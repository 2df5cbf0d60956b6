"""入学申请导入: a county's applications for one school year as a sheet, checked exactly like
`POST /v1/applications` and written set-based.

The same checks, by the same functions: the schema (`ApplicationCreate`: 公民身份号码 format and
MOD 11-2 check digit, phone, dates, …), `rules.child_problems` (birth date inside the ID, a past
birth date, the age rule under the priority policy in force), the zone map in force
(`ZoneIndex.locate`, the vectorised form of the lookup a single submission makes), the options
and choices (`rules.school_options`, `rules.choice_problems`) and one application per child and
school year (the same keyed hash). Every problem of every row is reported as
`rows[<sheet row>].<column>`; one bad row imports nothing. Rows become applications, their
audit-trail entries and `enrollment.application.submitted` events in bulk statements.

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
from uuid import UUID

import numpy as np
from pydantic import TypeAdapter
from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import rules
from enrollment.admission.models import Application, ApplicationEvent
from enrollment.admission.repository import PolicyRepository
from enrollment.admission.schemas import ApplicationCreate
from enrollment.admission.service import cutoff_of
from enrollment.imports import sheets
from enrollment.imports.models import SheetImport
from enrollment.schools.models import School
from enrollment.zoning.repository import ZoneMapRepository
from enrollment.zoning.service import zone_index
from junheng_contracts.enrollment import ApplicationSubmitted, ApplicationSubmittedData
from junheng_kit.auth import Principal
from junheng_kit.identifiers import citizen_id_gender, student_key
from junheng_kit.ids import uuid7
from junheng_kit.messaging.bulk import add_events
from junheng_kit.problems import Conflict, FieldError
from junheng_kit.tabular import Column, read_records, reject_rows, row_errors
from junheng_kit.timeutil import utcnow

KIND = "applications"
COLUMNS: tuple[Column, ...] = (
    Column("grade", ("入学年级", "年级")),
    Column("child_citizen_id", ("学生公民身份号码", "学生身份证号"), text_width=18),
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
)
RELATION_LABELS = {"父亲": "father", "母亲": "mother", "祖父母": "grandparent", "其他": "other"}
HUKOU_LABELS = {"城镇": "urban", "非农业": "urban", "农村": "rural", "农业": "rural"}
HOUSING_LABELS = {"自有住房": "owned", "自有": "owned", "租赁": "rented", "其他": "other"}
GRADE_LABELS = {"一年级": 1, "七年级": 7, "初一": 7}
LABEL_OF = {
    "guardian_relation": {v: k for k, v in RELATION_LABELS.items()},
    "hukou_type": {"urban": "城镇", "rural": "农村"},
    "housing": {"owned": "自有住房", "rented": "租赁", "other": "其他"},
}
# the schema's path of a value → the sheet column it came from
COLUMN_OF_PATH = {
    "child.citizen_id": "child_citizen_id",
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
CHUNK = 2000
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


def _shape(county_code: str, year: int) -> Any:
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
        return {
            "county_code": county_code,
            "year": year,
            "grade": _grade(pop("grade")),
            "child": {
                "citizen_id": pop("child_citizen_id"),
                "name": pop("child_name"),
                "birth_date": sheets.sheet_date(pop("birth_date")),
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
            **values,  # anything left is not a column of ApplicationCreate: the schema says so
        }

    return shape


@dataclass(frozen=True, slots=True)
class ApplicationImport:
    record: SheetImport
    replayed: bool  # the same sheet was imported before: nothing was written this time


def _zone_schools(
    index: Any, longitudes: Sequence[float], latitudes: Sequence[float]
) -> list[tuple[str, list[str]] | None]:
    """Each point's (zone code, school codes) under the map in force, None outside every zone —
    `ZoneIndex.locate` over all points at once (`zone_options` uses the same index)."""
    if index is None:
        return [None] * len(longitudes)
    found = index.locate(np.asarray(longitudes, float), np.asarray(latitudes, float))
    zones = index.zones
    return [
        None if i < 0 else (zones[i].zone_code, list(zones[i].school_codes)) for i in found.tolist()
    ]


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
    """Submit every application of the sheet, all or nothing."""
    principal.require_jurisdiction(county_code, field="query.county_code")
    sha256 = sheets.content_sha256(content)
    earlier = await sheets.earlier_import(
        session, kind=KIND, county_code=county_code, sha256=sha256
    )
    if earlier is not None:
        return ApplicationImport(earlier, replayed=True)
    records = read_records(content, media_type, COLUMNS)
    rows = sheets.validated(SHEET, records, _shape(county_code, year), column_of)
    numbers = [r.row for r in records]
    levels = [rules.LEVEL_OF_GRADE[r.grade] for r in rows]

    problems: list[list[rules.Problem]] = [[] for _ in rows]
    # the child: birth date in the ID, born in the past, the age rule of the policy in force
    policies = PolicyRepository(session)
    cutoffs = {
        level: cutoff_of(await policies.in_force(county_code, year, level, on=today))
        for level in set(levels)
    }
    for i, (row, level) in enumerate(zip(rows, levels, strict=True)):
        problems[i] += rules.child_problems(
            row.child.citizen_id,
            row.child.birth_date,
            year=year,
            level=level,
            cutoff_month_day=cutoffs[level],
            today=today,
        )

    # one application per child and school year: in the sheet and against those stored
    keys = [student_key(secret, r.child.citizen_id) for r in rows]
    first: dict[str, int] = {}
    stored = await _applied(session, year, keys)
    duplicates: list[FieldError] = []
    for i, key in enumerate(keys):
        if key in stored or key in first:
            where = f"row {first[key]} of this sheet" if key in first else "an earlier application"
            duplicates += row_errors(
                numbers[i],
                [
                    FieldError(
                        "child_citizen_id",
                        "application_unique",
                        f"one application per child and school year: see {where}",
                    )
                ],
            )
        first.setdefault(key, numbers[i])

    # zones in force today, looked up for all homes and 户籍 addresses at once
    maps = ZoneMapRepository(session)
    home: list[tuple[str, list[str]] | None] = [None] * len(rows)
    hukou: list[tuple[str, list[str]] | None] = [None] * len(rows)
    for level in set(levels):
        zone_map = await maps.in_force(county_code, level, year, today)
        index = await zone_index(session, zone_map) if zone_map is not None else None
        mine = [i for i, lv in enumerate(levels) if lv == level]
        for i, found in zip(
            mine,
            _zone_schools(
                index,
                [rows[i].home.longitude for i in mine],
                [rows[i].home.latitude for i in mine],
            ),
            strict=True,
        ):
            home[i] = found
        located = [
            i
            for i in mine
            if rows[i].household.hukou.county_code == county_code
            and rows[i].household.hukou.location is not None
        ]
        for i, found in zip(
            located,
            _zone_schools(
                index,
                [cast(Any, rows[i].household.hukou.location).longitude for i in located],
                [cast(Any, rows[i].household.hukou.location).latitude for i in located],
            ),
            strict=True,
        ):
            hukou[i] = found

    # the options and the ranked choices
    wanted = {c for r in rows for c in r.choices} | {
        c for found in (*home, *hukou) if found for c in found[1]
    }
    school_levels = await _school_levels(session, wanted)
    choices: list[list[str]] = []
    for i, row in enumerate(rows):
        if home[i] is None and hukou[i] is None:
            problems[i].append(rules.zone_missing(levels[i], county_code, year))
            choices.append([])
            continue
        home_zone, hukou_zone = home[i], hukou[i]
        options = rules.school_options(
            home_zone[1] if home_zone else [], hukou_zone[1] if hukou_zone else []
        )
        ranked, wrong = rules.choice_problems(
            row.choices, options, school_levels=school_levels, level=levels[i]
        )
        choices.append(ranked)
        problems[i] += wrong

    errors = [
        e
        for i, found in enumerate(problems)
        for e in row_errors(
            numbers[i],
            [FieldError(column_of(p.error.field), p.error.rule, p.error.message) for p in found],
        )
    ]
    if duplicates and not errors:
        raise Conflict(
            f"{len(duplicates)} row(s) name a child who already applied; nothing was imported",
            *duplicates[:1000],
        )
    reject_rows(sorted(errors + duplicates, key=lambda e: _row_of(e.field)))

    record = await _write(
        session, principal, rows, keys, levels, home, hukou, choices,
        county_code=county_code, content=content, media_type=media_type,
    )  # fmt: skip
    return ApplicationImport(record, replayed=False)


def _row_of(field: str) -> int:
    return int(field[5 : field.index("]")])


async def _applied(session: AsyncSession, year: int, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    unique = sorted(set(keys))
    for start in range(0, len(unique), CHUNK):
        found.update(
            await session.scalars(
                select(Application.child_key).where(
                    Application.year == year,
                    Application.child_key.in_(unique[start : start + CHUNK]),
                )
            )
        )
    return found


async def _school_levels(session: AsyncSession, codes: set[str]) -> dict[str, list[str]]:
    result = await session.execute(
        select(School.school_code, School.levels).where(School.school_code.in_(sorted(codes)))
    )
    return {code: list(levels) for code, levels in result.all()}


async def _write(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[ApplicationCreate],
    keys: Sequence[str],
    levels: Sequence[rules.Level],
    home: Sequence[tuple[str, list[str]] | None],
    hukou: Sequence[tuple[str, list[str]] | None],
    choices: Sequence[list[str]],
    *,
    county_code: str,
    content: bytes,
    media_type: str,
) -> SheetImport:
    now = utcnow()
    applications: list[dict[str, Any]] = []
    trail: list[dict[str, Any]] = []
    events: list[Any] = []
    for i, row in enumerate(rows):
        application_id: UUID = uuid7()
        migrant = row.household.hukou.county_code != county_code
        home_zone, hukou_zone = home[i], hukou[i]
        applications.append(
            {
                "id": application_id,
                "county_code": county_code,
                "year": row.year,
                "level": levels[i],
                "grade": row.grade,
                "child_key": keys[i],
                "citizen_id": row.child.citizen_id,
                "child_name": row.child.name,
                "birth_date": row.child.birth_date,
                "gender": citizen_id_gender(row.child.citizen_id),
                "guardian": row.guardian.model_dump(mode="json"),
                "household": row.household.model_dump(mode="json"),
                "migrant": migrant,
                "home_longitude": row.home.longitude,
                "home_latitude": row.home.latitude,
                "home_address": row.home.address,
                "home_zone_code": home_zone[0] if home_zone else None,
                "hukou_zone_code": hukou_zone[0] if hukou_zone else None,
                "home_schools": home_zone[1] if home_zone else [],
                "hukou_schools": hukou_zone[1] if hukou_zone else [],
                "choices": choices[i],
                "status": "submitted",
                "status_reason": None,
                "created_by": principal.client_id,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        trail.append(
            {
                "application_id": application_id,
                "at": now,
                "actor": principal.client_id,
                "action": "submitted",
                "from_status": None,
                "to_status": "submitted",
                "reason": None,
                "detail": {"choices": choices[i], "imported": True},
            }
        )
        events.append(
            ApplicationSubmitted.of(
                subject=str(application_id),
                jurisdiction=county_code,
                data=ApplicationSubmittedData(
                    application_id=str(application_id),
                    county_code=county_code,
                    year=row.year,
                    level=levels[i],
                    grade=row.grade,
                    student_key=keys[i],
                    migrant=migrant,
                    choices=choices[i],
                ),
            )
        )
    for start in range(0, len(applications), CHUNK):
        await session.execute(insert(APPLICATION), applications[start : start + CHUNK])
        await session.execute(insert(TRAIL), trail[start : start + CHUNK])
    await add_events(session, events)
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
        rows=len(rows),
        created=len(rows),
        detail={"year": rows[0].year, "by_level": dict(by_level),
                "migrant": sum(1 for a in applications if a["migrant"])},
    )  # fmt: skip


def export_rows(applications: Sequence[Application]) -> list[list[Any]]:
    """Applications in the import's column order: re-importing the file elsewhere gives the
    same applications (coded values as the Chinese labels the import reads)."""
    out = []
    for a in applications:
        hukou = a.household["hukou"]
        location = hukou.get("location") or {}
        permit = a.household.get("residence_permit") or {}
        out.append(
            [
                a.grade,
                a.citizen_id,
                a.child_name,
                a.birth_date,
                a.guardian["name"],
                LABEL_OF["guardian_relation"][a.guardian["relation"]],
                a.guardian["phone"],
                hukou["county_code"],
                LABEL_OF["hukou_type"][hukou["type"]],
                hukou["address"],
                location.get("longitude"),
                location.get("latitude"),
                LABEL_OF["housing"][a.household["housing"]],
                permit.get("issued_on"),
                permit.get("number"),
                a.household.get("social_insurance_months", 0),
                a.home_address,
                a.home_longitude,
                a.home_latitude,
                sheets.join_codes(a.choices),
            ]
        )
    return out
