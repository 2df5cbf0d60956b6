"""教师培训记录表: training records as bureaus keep them in CSV/XLSX, imported all or nothing.

One row is one completed training of one teacher, found by 公民身份号码. Every bad cell and
every broken rule is reported as `rows[<sheet row>].<field>`; one bad row imports nothing. A
row whose teacher, 培训项目 and 完成日期 are already recorded updates that record (hours,
dates, provider, certificate), so sending a sheet twice changes nothing the second time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, NamedTuple, cast
from uuid import UUID

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7_many
from junheng_kit.problems import BadRequest, FieldError, validation_field_errors
from junheng_kit.tabular import Column, SheetRecord, read_records, reject_rows, row_errors
from junheng_kit.timeutil import utcnow
from staffing.teachers import stats
from staffing.teachers.models import Teacher, citizen_id_indexes
from staffing.teachers.repository import chunks
from staffing.training import repository, rules
from staffing.training.models import TrainingImport, TrainingRecord
from staffing.training.schemas import TrainingSheetRow

COLUMNS: tuple[Column, ...] = (
    Column("citizen_id", ("公民身份号码", "身份证号", "身份证号码"), text_width=18),
    Column("name", ("姓名",), required=False),
    Column("programme", ("培训项目", "培训项目名称", "项目名称")),
    Column("provider", ("培训机构", "承办机构"), required=False),
    Column("started_on", ("开始日期", "培训开始日期"), required=False),
    Column("completed_on", ("完成日期", "结业日期", "结束日期")),
    Column("hours", ("学时", "培训学时")),
    Column("certificate_reference", ("证书编号", "培训证书编号"), required=False),
)
ROW = TypeAdapter(TrainingSheetRow)
RECORD = cast(Table, TrainingRecord.__table__)
UPDATED_FIELDS = ("provider", "started_on", "hours", "certificate_reference")


class RegisteredTeacher(NamedTuple):
    id: UUID
    name: str
    hire_date: Any
    county_code: str
    school_code: str


def parse_rows(records: Sequence[SheetRecord]) -> list[TrainingSheetRow]:
    """Validate every row; every bad cell as rows[<sheet row>].<field>, all at once."""
    rows: list[TrainingSheetRow] = []
    errors: list[FieldError] = []
    for record in records:
        try:
            rows.append(ROW.validate_python(record.values))
        except ValidationError as exc:
            errors += row_errors(record.row, validation_field_errors(exc.errors()))
    reject_rows(errors)
    return rows


async def _teachers(
    session: AsyncSession, principal: Principal, citizen_ids: Sequence[str]
) -> dict[str, RegisteredTeacher]:
    """The registered teachers among `citizen_ids` inside the caller's jurisdiction."""
    unique = sorted(set(citizen_ids))
    id_of_index = dict(zip(citizen_id_indexes(unique), unique, strict=True))  # blind indexes
    out: dict[str, RegisteredTeacher] = {}
    for part in chunks(list(id_of_index)):
        rows = await session.execute(
            select(
                Teacher.citizen_id_index,
                Teacher.id,
                Teacher.name,
                Teacher.hire_date,
                Teacher.county_code,
                Teacher.school_code,
            ).where(
                Teacher.citizen_id_index.in_(part),
                principal.jurisdiction.covers(Teacher.county_code),
            )
        )
        out.update({id_of_index[row[0]]: RegisteredTeacher(*row[1:]) for row in rows})
    return out


def _row_rule_errors(
    row: TrainingSheetRow,
    teacher: RegisteredTeacher | None,
    first_row: int | None,
) -> list[FieldError]:
    if first_row is not None:
        return [
            FieldError(
                "programme",
                "training_record_unique_in_sheet",
                t(
                    f"与第 {first_row} 行重复：教师、培训项目和完成日期相同",
                    "the same teacher, 培训项目 (training programme) and 完成日期 (completion "
                    f"date) are on row {first_row}",
                ),
            )
        ]
    if teacher is None:
        return [
            FieldError(
                "citizen_id",
                "teacher_registered",
                t(
                    "教师未登记：此客户端管辖区域内没有使用此公民身份号码的教师",
                    "no teacher with this 公民身份号码 (citizen ID) in this client's jurisdiction",
                ),
            )
        ]
    errors = []
    if row.name and row.name != teacher.name:
        errors.append(
            FieldError(
                "name",
                "name_matches_registry",
                t("姓名与教师信息库不符", "the name differs from the registry's for this ID"),
            )
        )
    return errors + rules.record_errors(
        hours=row.hours,
        started_on=row.started_on,
        completed_on=row.completed_on,
        hire_date=teacher.hire_date,
        today=stats.registry_today(),
    )


async def import_training(
    session: AsyncSession, principal: Principal, *, content: bytes, media_type: str
) -> TrainingImport:
    """Import a training sheet: all rows or none; the upload's SHA-256 is recorded."""
    records = read_records(content, media_type, COLUMNS)
    if not records:
        raise BadRequest(
            t("表格没有培训数据行", "the sheet has no training rows"),
            FieldError("body", "rows_required"),
        )
    rows = parse_rows(records)
    teachers = await _teachers(session, principal, [r.citizen_id for r in rows])
    seen: dict[tuple[str, str, Any], int] = {}
    errors: list[FieldError] = []
    for record, row in zip(records, rows, strict=True):
        key = (row.citizen_id, row.programme, row.completed_on)
        first = seen.setdefault(key, record.row)
        errors += row_errors(
            record.row,
            _row_rule_errors(
                row, teachers.get(row.citizen_id), first if first != record.row else None
            ),
        )
    reject_rows(errors)

    keyed = [((teachers[r.citizen_id].id, r.programme, r.completed_on), r) for r in rows]
    stored = await repository.existing_records(session, [key for key, _ in keyed])
    now = utcnow()
    upload = TrainingImport(
        content_sha256=hashlib.sha256(content).hexdigest(),
        media_type=media_type,
        rows=len(rows),
        added=sum(1 for key, _ in keyed if key not in stored),
        updated=sum(1 for key, _ in keyed if key in stored),
        imported_by=principal.client_id,
        imported_at=now,
    )
    session.add(upload)
    await session.flush()
    new = [(key, r) for key, r in keyed if key not in stored]
    inserted = [
        {
            "id": record_id,
            "teacher_id": key[0],
            "programme": r.programme,
            "completed_on": r.completed_on,
            **{f: getattr(r, f) for f in UPDATED_FIELDS},
            "recorded_by": principal.client_id,
            "recorded_at": now,
            "import_id": upload.id,
        }
        for record_id, (key, r) in zip(uuid7_many(len(new)), new, strict=True)
    ]
    changed = [
        {
            "b_id": stored[key],
            **{f"b_{f}": getattr(r, f) for f in UPDATED_FIELDS},
            "b_recorded_by": principal.client_id,
            "b_recorded_at": now,
            "b_import_id": upload.id,
        }
        for key, r in keyed
        if key in stored
    ]
    connection = await session.connection()  # executemany, no ORM objects per row
    for part in chunks(inserted, 1000):
        await connection.execute(insert(RECORD), part)
    if changed:
        fields = (*UPDATED_FIELDS, "recorded_by", "recorded_at", "import_id")
        statement = (
            update(RECORD)
            .where(RECORD.c.id == bindparam("b_id"))
            .values({f: bindparam(f"b_{f}") for f in fields})
        )
        for part in chunks(changed, 1000):
            await connection.execute(statement, part)
    await stats.refresh_school_stats(
        session, sorted({teachers[r.citizen_id].school_code for r in rows})
    )
    return upload
