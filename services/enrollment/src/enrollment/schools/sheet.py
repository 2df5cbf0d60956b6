"""学校信息表: the school registry as a sheet, imported set-based (upsert by 学校标识码).

A new code registers the school (`enrollment.school.registered`); a known one with other values
updates it (`enrollment.school.updated`, version + 1); a row equal to the registry changes
nothing, so importing the same sheet twice registers nothing twice. One bad row imports nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from pydantic import TypeAdapter
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.imports import sheets
from enrollment.imports.models import SheetImport
from enrollment.schools.models import School
from enrollment.schools.schemas import SchoolCreate
from junheng_contracts.enrollment import SchoolData, SchoolRegistered, SchoolUpdated
from junheng_kit.auth import Principal
from junheng_kit.messaging.bulk import add_events
from junheng_kit.problems import FieldError
from junheng_kit.tabular import Column, read_records, reject_rows, row_errors
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


def _shape(values: dict[str, Any]) -> dict[str, Any]:
    levels = sheets.split_codes(values.pop("levels", None))
    if isinstance(levels, list):
        levels = [sheets.from_label(level, LEVEL_LABELS) for level in levels]
    location = {k: values.pop(k) for k in ("longitude", "latitude") if k in values}
    return {**values, "levels": levels, "location": location}


def _column_of(path: str) -> str:
    if path.startswith("location."):
        return path.removeprefix("location.")
    return path.split(".", 1)[0] if path.startswith("levels") else path


def _values(row: SchoolCreate) -> dict[str, Any]:
    return {
        "name": row.name,
        "levels": list(row.levels),
        "county_code": row.county_code,
        "longitude": row.location.longitude,
        "latitude": row.location.latitude,
        "planned_capacity": row.planned_capacity,
    }


def _data(code: str, values: dict[str, Any], version: int) -> SchoolData:
    return SchoolData(school_code=code, version=version, **values)


async def import_schools(
    session: AsyncSession, principal: Principal, *, content: bytes, media_type: str
) -> SheetImport:
    """Register or update every school of the sheet, all or nothing."""
    records = read_records(content, media_type, COLUMNS)
    rows = sheets.validated(SHEET, records, _shape, _column_of)
    numbers = [r.row for r in records]
    sheets.require_counties(
        principal, [(n, "county_code", r.county_code) for r, n in zip(rows, numbers, strict=True)]
    )
    counts = Counter(r.school_code for r in rows)
    first: dict[str, int] = {}
    errors: list[FieldError] = []
    for row, number in zip(rows, numbers, strict=True):
        if counts[row.school_code] > 1 and row.school_code in first:
            errors += row_errors(
                number,
                [
                    FieldError(
                        "school_code",
                        "school_code_unique",
                        f"the same 学校标识码 is on row {first[row.school_code]}",
                    )
                ],
            )
        first.setdefault(row.school_code, number)
    existing = {
        s.school_code: s
        for s in await session.scalars(select(School).where(School.school_code.in_(list(counts))))
    }
    for row, number in zip(rows, numbers, strict=True):
        known = existing.get(row.school_code)
        if known is not None and not principal.jurisdiction.covers_code(known.county_code):
            errors += row_errors(
                number,
                [
                    FieldError(
                        "school_code",
                        "jurisdiction",
                        f"registered in {known.county_code}, outside this client's jurisdiction",
                    )
                ],
            )
    reject_rows(errors)

    now = utcnow()
    inserts: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    events: list[Any] = []
    unchanged = 0
    for row in rows:
        values = _values(row)
        known = existing.get(row.school_code)
        if known is None:
            inserts.append(
                {
                    **values,
                    "school_code": row.school_code,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            events.append(
                SchoolRegistered.of(
                    subject=row.school_code,
                    jurisdiction=row.county_code,
                    data=_data(row.school_code, values, 1),
                )
            )
        elif any(getattr(known, k) != v for k, v in values.items()):
            version = known.version + 1
            changes.append(
                {
                    **{f"b_{k}": v for k, v in values.items()},
                    "b_code": row.school_code,
                    "b_version": version,
                    "b_updated_at": now,
                }
            )
            events.append(
                SchoolUpdated.of(
                    subject=row.school_code,
                    jurisdiction=row.county_code,
                    data=_data(row.school_code, values, version),
                )
            )
        else:
            unchanged += 1
    for start in range(0, len(inserts), CHUNK):
        await session.execute(insert(SCHOOL), inserts[start : start + CHUNK])
    if changes:
        fields = [k.removeprefix("b_") for k in changes[0] if k != "b_code"]
        statement = (
            update(SCHOOL)
            .where(SCHOOL.c.school_code == bindparam("b_code"))
            .values({f: bindparam(f"b_{f}") for f in fields})
        )
        for start in range(0, len(changes), CHUNK):
            await session.execute(statement, changes[start : start + CHUNK])
    await add_events(session, events)
    counties = {r.county_code for r in rows}
    return await sheets.record_import(
        session,
        principal,
        kind=KIND,
        county_code=counties.pop() if len(counties) == 1 else None,
        content=content,
        media_type=media_type,
        rows=len(rows),
        created=len(inserts),
        updated=len(changes),
        unchanged=unchanged,
    )


def export_rows(schools: Sequence[School]) -> list[list[Any]]:
    """The registry in the import's column order (学段 as Chinese labels)."""
    return [
        [
            s.school_code,
            s.name,
            "、".join(LABEL_OF_LEVEL.get(level, level) for level in s.levels),
            s.county_code,
            s.longitude,
            s.latitude,
            s.planned_capacity,
        ]
        for s in schools
    ]
