"""教师信息表: the teacher register as bureaus keep it in CSV/XLSX, imported set-based.

One bad row imports nothing. Cell errors (types, codes, the ID check) come from validating the
whole sheet in one pass; cross-row and database checks (an ID twice, unknown schools, 学段,
moves) then run as set operations over the sheet, with a handful of IN queries.

A row whose 公民身份号码 is new registers a teacher; one already registered updates the teacher,
and when its 学校标识码 differs it is a move dated 调入本校日期 (history kept).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any, cast
from uuid import UUID

from pydantic import TypeAdapter, ValidationError, field_validator, model_validator
from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.staffing import (
    TeacherData,
    TeacherMoved,
    TeacherMovedData,
    TeacherRegistered,
)
from junheng_kit.auth import Principal
from junheng_kit.identifiers import citizen_id_gender
from junheng_kit.ids import uuid7
from junheng_kit.messaging.bulk import add_events
from junheng_kit.problems import BadRequest, FieldError, Forbidden, validation_field_errors
from junheng_kit.tabular import Column, SheetRecord, read_records, reject_rows, row_errors
from junheng_kit.timeutil import utcnow
from staffing.teachers import repository, rules, service
from staffing.teachers.codes import LABEL_OF, Gender, TeacherStatus, enum_label
from staffing.teachers.models import RuralServicePeriod, Teacher, TeacherAssignment, TeacherImport
from staffing.teachers.repository import TeacherRepository
from staffing.teachers.schemas import RuralPeriod, TeacherCreate

COLUMNS: tuple[Column, ...] = (
    Column("citizen_id", ("公民身份号码", "身份证号", "身份证号码"), text_width=18),
    Column("name", ("姓名",)),
    Column("gender", ("性别",), required=False),
    Column("birth_date", ("出生日期",)),
    Column("school_code", ("学校标识码", "学校代码"), text_width=10),
    Column("section", ("任教学段", "学段")),
    Column("school_joined_on", ("调入本校日期", "到校日期")),
    Column("post_type", ("岗位类别",)),
    Column("subjects", ("任教学科", "学科"), required=False),
    Column("title", ("职称", "专业技术职务"), required=False),
    Column("degree", ("最高学历", "学历")),
    Column("backbone_level", ("骨干教师级别", "骨干级别"), required=False),
    Column("staffing_status", ("编制状态", "编制情况")),
    Column("hire_date", ("参加工作日期", "参加工作时间")),
    Column("status", ("状态", "在职状态"), required=False),
    Column("rural_service", ("乡村学校任教经历",), required=False),
)
TEACHER = cast(Table, Teacher.__table__)  # Core statements: no ORM bookkeeping per row
ASSIGNMENT = cast(Table, TeacherAssignment.__table__)
DATE_FIELDS = ("birth_date", "school_joined_on", "hire_date")
_PERIOD = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*[~至]\s*(\d{4}-\d{2}-\d{2})\s*(.*)$")


class TeacherSheetRow(TeacherCreate):
    """One sheet row: dates may be written 2010/9/1 or 2010.09.01; earlier rural service as
    `2010-09-01~2015-08-31 某某小学; …` (end exclusive)."""

    @model_validator(mode="before")
    @classmethod
    def _dates(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for field in DATE_FIELDS:
                value = data.get(field)
                if isinstance(value, str) and re.fullmatch(r"\d{4}[/.]\d{1,2}[/.]\d{1,2}", value):
                    year, month, day = re.split(r"[/.]", value)
                    data[field] = f"{year}-{int(month):02d}-{int(day):02d}"
        return data

    @field_validator("rural_service", mode="before")
    @classmethod
    def _periods(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        periods = []
        for part in (p.strip() for p in re.split(r"[;；\n]", value)):
            if not part:
                continue
            match = _PERIOD.match(part)
            if match is None:
                raise ValueError(
                    "rural_service_format: write periods as 2010-09-01~2015-08-31 学校名称; …"
                )
            start, end, school = match.groups()
            periods.append({"started_on": start, "ended_on": end, "school_name": school or None})
        return periods


SHEET = TypeAdapter(list[TeacherSheetRow])


def _cell_errors(records: Sequence[SheetRecord]) -> list[TeacherSheetRow]:
    """Validate the whole sheet in one pass; every bad cell as rows[<sheet row>].<field>."""
    try:
        return SHEET.validate_python([r.values for r in records])
    except ValidationError as exc:
        errors = []
        for error in validation_field_errors(exc.errors(include_input=False)):
            index, _, field = error.field.partition(".")
            errors += row_errors(
                records[int(index)].row, [FieldError(field, error.rule, error.message)]
            )
        reject_rows(errors)
        raise  # unreachable: reject_rows raised


def _duplicate_errors(rows: Sequence[TeacherSheetRow], numbers: Sequence[int]) -> list[FieldError]:
    counts = Counter(r.citizen_id for r in rows)
    first: dict[str, int] = {}
    errors = []
    for row, number in zip(rows, numbers, strict=True):
        if counts[row.citizen_id] > 1:
            if row.citizen_id in first:
                errors += row_errors(
                    number,
                    [
                        FieldError(
                            "citizen_id",
                            "citizen_id_unique_in_sheet",
                            f"the same 公民身份号码 is on row {first[row.citizen_id]}",
                        )
                    ],
                )
            first.setdefault(row.citizen_id, number)
    return errors


async def import_teachers(
    session: AsyncSession, principal: Principal, *, content: bytes, media_type: str
) -> TeacherImport:
    """Import a teacher sheet: all rows or none; the upload's SHA-256 is recorded."""
    records = read_records(content, media_type, COLUMNS)
    if not records:
        raise BadRequest("the sheet has no teacher rows", FieldError("body", "rows_required"))
    numbers = [r.row for r in records]
    rows = _cell_errors(records)

    facts = await repository.schools(session, [r.school_code for r in rows])
    outside = [
        FieldError(f"rows[{n}].school_code", "jurisdiction", "outside this client's jurisdiction")
        for r, n in zip(rows, numbers, strict=True)
        if r.school_code in facts
        and not principal.jurisdiction.covers_code(facts[r.school_code].county_code)
    ]
    if outside:
        raise Forbidden("some schools are outside this client's jurisdiction", *outside[:1000])
    postings = await TeacherRepository(session).postings_by_citizen_id(
        sorted({r.citizen_id for r in rows})
    )
    errors = _duplicate_errors(rows, numbers)
    for row, number in zip(rows, numbers, strict=True):
        school = facts.get(row.school_code)
        found: list[FieldError | None] = [
            rules.posting_dates_error(row.hire_date, row.school_joined_on),
            rules.subjects_error(row.post_type, row.subjects),
        ]
        if school is None:
            found.append(
                FieldError("school_code", "school_registered", "not in the school registry")
            )
        else:
            found.append(rules.section_error(school.levels, row.section, field="section"))
        posting = postings.get(row.citizen_id)
        if posting is not None and posting.school_code != row.school_code:
            if posting.status != TeacherStatus.ACTIVE:
                found.append(FieldError("status", "teacher_active", "only active teachers move"))
            elif row.school_joined_on < posting.school_joined_on:
                found.append(
                    FieldError(
                        "school_joined_on",
                        "move_not_before_current_period",
                        f"the current posting began on {posting.school_joined_on.isoformat()}",
                    )
                )
        errors += row_errors(number, [e for e in found if e is not None])
    reject_rows(errors)
    return await _write(session, principal, rows, facts, postings, content, media_type)


def _columns(row: TeacherSheetRow, county_code: str) -> dict[str, Any]:
    return {
        "name": row.name,
        "gender": row.gender or Gender(citizen_id_gender(row.citizen_id)),
        "school_code": row.school_code,
        "county_code": county_code,
        "section": row.section,
        "post_type": row.post_type,
        "main_subject": row.subjects[0] if row.subjects else None,
        "subjects": list(row.subjects),
        "title": row.title,
        "degree": row.degree,
        "backbone_level": row.backbone_level,
        "staffing_status": row.staffing_status,
        "hire_date": row.hire_date,
        "status": row.status,
    }


def _data(teacher_id: UUID, values: dict[str, Any], joined: date, version: int) -> TeacherData:
    return TeacherData(
        teacher_id=str(teacher_id),
        school_code=values["school_code"],
        county_code=values["county_code"],
        section=values["section"].value,
        post_type=values["post_type"].value,
        main_subject=values["main_subject"],
        title=values["title"],
        degree=values["degree"],
        backbone_level=values["backbone_level"],
        staffing_status=values["staffing_status"].value,
        status=values["status"].value,
        school_joined_on=joined,
        version=version,
    )


async def _write(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[TeacherSheetRow],
    facts: dict[str, repository.SchoolFacts],
    postings: dict[str, Any],
    content: bytes,
    media_type: str,
) -> TeacherImport:
    now = utcnow()
    new_teachers: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    rural: dict[UUID, list[RuralPeriod]] = {}
    events: list[Any] = []
    affected: set[str] = set()
    moves: list[tuple[TeacherSheetRow, Any]] = []
    for row in rows:
        values = _columns(row, facts[row.school_code].county_code)
        affected.add(row.school_code)
        posting = postings.get(row.citizen_id)
        if posting is None:
            teacher_id = uuid7()
            new_teachers.append(
                {
                    **values,
                    "id": teacher_id,
                    "citizen_id": row.citizen_id,
                    "birth_date": row.birth_date,
                    "school_joined_on": row.school_joined_on,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            assignments.append(
                {
                    "teacher_id": teacher_id,
                    "sequence": 1,
                    "school_code": row.school_code,
                    "county_code": values["county_code"],
                    "section": row.section,
                    "started_on": row.school_joined_on,
                    "reason": "imported",
                    "plan_reference": None,
                    "recorded_by": principal.client_id,
                    "recorded_at": now,
                }
            )
            if row.rural_service:
                rural[teacher_id] = row.rural_service
            events.append(
                TeacherRegistered.of(
                    subject=str(teacher_id),
                    jurisdiction=values["county_code"],
                    data=_data(teacher_id, values, row.school_joined_on, 1),
                )
            )
            continue
        moved = posting.school_code != row.school_code
        joined = row.school_joined_on if moved else posting.school_joined_on
        changed.append(
            {
                **{f"b_{k}": v for k, v in values.items()},
                "b_id": posting.id,
                "b_school_joined_on": joined,
                "b_version": posting.version + 1,
                "b_updated_at": now,
            }
        )
        if row.rural_service:
            rural[posting.id] = row.rural_service
        if moved:
            affected.add(posting.school_code)
            moves.append((row, posting))
    sequences = await TeacherRepository(session).last_sequences([p.id for _, p in moves])
    for row, posting in moves:
        county = facts[row.school_code].county_code
        assignments.append(
            {
                "teacher_id": posting.id,
                "sequence": sequences.get(posting.id, 0) + 1,
                "school_code": row.school_code,
                "county_code": county,
                "section": row.section,
                "started_on": row.school_joined_on,
                "reason": "imported",
                "plan_reference": None,
                "recorded_by": principal.client_id,
                "recorded_at": now,
            }
        )
        events.append(
            TeacherMoved.of(
                subject=str(posting.id),
                jurisdiction=county,
                data=TeacherMovedData(
                    teacher_id=str(posting.id),
                    from_school_code=posting.school_code,
                    from_county_code=posting.county_code,
                    to_school_code=row.school_code,
                    to_county_code=county,
                    section=row.section.value,
                    moved_on=row.school_joined_on,
                    reason="imported",
                    version=posting.version + 1,
                ),
            )
        )
    for part in repository.chunks(new_teachers):
        await session.execute(insert(TEACHER), part)
    if changed:
        table = TEACHER
        fields = [k.removeprefix("b_") for k in changed[0] if k != "b_id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({f: bindparam(f"b_{f}") for f in fields})
        )
        for part in repository.chunks(changed):
            await session.execute(statement, part)
    for part in repository.chunks(assignments):
        await session.execute(insert(ASSIGNMENT), part)
    await service.replace_imported_rural_periods(session, rural)
    await add_events(session, events)
    record = TeacherImport(
        content_sha256=hashlib.sha256(content).hexdigest(),
        media_type=media_type,
        rows=len(rows),
        registered=len(new_teachers),
        updated=len(changed) - len(moves),
        moved=len(moves),
        imported_by=principal.client_id,
        imported_at=now,
    )
    session.add(record)
    await session.flush()
    await service.refresh_school_stats(session, sorted(affected))
    return record


def _period_text(periods: Sequence[RuralServicePeriod]) -> str | None:
    parts = [
        f"{p.started_on.isoformat()}~{p.ended_on.isoformat()}"
        + (f" {p.school_name}" if p.school_name else "")
        for p in periods
    ]
    return "; ".join(parts) or None


async def export_rows(
    session: AsyncSession, principal: Principal, *, county_code: str | None
) -> list[list[Any]]:
    """The register in the import's column order, with Chinese labels for codes."""
    if county_code:
        principal.require_jurisdiction(county_code, field="county_code")
    repository_ = TeacherRepository(session)
    teachers = await repository_.export_rows(within=principal.jurisdiction, county_code=county_code)
    periods = await repository_.imported_rural_periods([t.id for t in teachers])
    return [
        [
            t.citizen_id,
            t.name,
            enum_label(t.gender),
            t.birth_date,
            t.school_code,
            enum_label(t.section),
            t.school_joined_on,
            enum_label(t.post_type),
            "、".join(LABEL_OF[s] for s in t.subjects) or None,
            LABEL_OF[t.title] if t.title else None,
            LABEL_OF[t.degree],
            LABEL_OF[t.backbone_level] if t.backbone_level else None,
            enum_label(t.staffing_status),
            t.hire_date,
            enum_label(t.status),
            _period_text(periods.get(t.id, [])),
        ]
        for t in teachers
    ]
