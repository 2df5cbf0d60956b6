"""学生名册: the roster as bureaus keep it in CSV/XLSX, imported set-based, upserted by ID.

One bad row imports nothing. Cell errors (ID check, 学籍号, gender and birth date against the
ID, codes) come from validating the whole sheet in one pass; cross-row and database checks (an
ID or a 学籍号 twice, a 学籍号 another child holds, unknown schools, 学段, jurisdiction) then run
over the sheet with a few IN queries, and the rows are written with one multi-row INSERT /
executemany UPDATE per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.students import rules, service
from assistance.students.models import name_born_index, student_number_index
from assistance.students.repository import StudentRepository
from assistance.students.schemas import StudentCreate, StudentImportRead
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.identifiers import student_key
from junheng_kit.ids import uuid7
from junheng_kit.problems import BadRequest, FieldError, Forbidden, validation_field_errors
from junheng_kit.tabular import Column, SheetRecord, read_records, reject_rows, row_errors
from junheng_kit.timeutil import utcnow

COLUMNS: tuple[Column, ...] = (
    Column("name", ("姓名",)),
    Column("citizen_id", ("身份证件号", "公民身份号码", "身份证号", "身份证号码"), text_width=18),
    Column("student_number", ("学籍号", "全国学籍号"), required=False),
    Column("gender", ("性别",), required=False),
    Column("birth_date", ("出生日期",), required=False),
    Column("school_code", ("学校标识码", "学校代码"), text_width=10),
    Column("level", ("学段",)),
    Column("grade", ("年级",)),
    Column("boarding", ("是否寄宿生", "寄宿生"), required=False),
)
SHEET = TypeAdapter(list[StudentCreate])


def _cells(records: Sequence[SheetRecord]) -> list[StudentCreate]:
    """Validate the whole sheet in one pass; every bad cell as rows[<sheet row>].<field>."""
    try:
        return SHEET.validate_python([r.values for r in records])
    except ValidationError as exc:
        errors: list[FieldError] = []
        for error in validation_field_errors(exc.errors(include_input=False)):
            index, _, field = error.field.partition(".")
            errors += row_errors(
                records[int(index)].row, [FieldError(field, error.rule, error.message)]
            )
        reject_rows(errors)
        raise  # unreachable: reject_rows raised


def _duplicates(rows: Sequence[StudentCreate], numbers: Sequence[int]) -> list[FieldError]:
    first: dict[str, int] = {}
    first_number: dict[str, int] = {}
    errors: list[FieldError] = []
    for row, number in zip(rows, numbers, strict=True):
        if row.citizen_id in first:
            errors += row_errors(
                number,
                [
                    FieldError(
                        "citizen_id",
                        "citizen_id_unique_in_sheet",
                        t(
                            f"第 {first[row.citizen_id]} 行有相同的身份证件号",
                            "the same 身份证件号 (ID document number) is on row "
                            f"{first[row.citizen_id]}",
                        ),
                    )
                ],
            )
        first.setdefault(row.citizen_id, number)
        if row.student_number is None:
            continue
        if row.student_number in first_number:
            errors += row_errors(
                number,
                [
                    FieldError(
                        "student_number",
                        "student_number_unique_in_sheet",
                        t(
                            f"第 {first_number[row.student_number]} 行有相同的学籍号",
                            "the same 学籍号 (student number) is on row "
                            f"{first_number[row.student_number]}",
                        ),
                    )
                ],
            )
        first_number.setdefault(row.student_number, number)
    return errors


def _numbers_held(
    rows: Sequence[StudentCreate], numbers: Sequence[int], holders: dict[str, str]
) -> list[FieldError]:
    """A 学籍号 already on the roster belongs to the child whose row holds it."""
    errors: list[FieldError] = []
    for row, number in zip(rows, numbers, strict=True):
        holder = holders.get(row.student_number) if row.student_number else None
        if holder is not None and holder != row.citizen_id:
            errors += row_errors(
                number,
                [
                    FieldError(
                        "student_number",
                        "student_number_unique",
                        t(
                            "另一名学生已使用该学籍号",
                            "another child on the roster has this 学籍号 (student number)",
                        ),
                    )
                ],
            )
    return errors


async def import_students(
    session: AsyncSession,
    principal: Principal,
    *,
    content: bytes,
    media_type: str,
    pseudonym_key: bytes,
) -> StudentImportRead:
    """Import a roster sheet: every row or none. New IDs join the roster, known IDs update."""
    records = read_records(content, media_type, COLUMNS)
    if not records:
        raise BadRequest(
            t("表格没有学生数据行", "the sheet has no student rows"),
            FieldError("body", "rows_required"),
        )
    numbers = [r.row for r in records]
    rows = _cells(records)
    repository = StudentRepository(session)
    schools = await repository.schools(r.school_code for r in rows)
    outside = [
        FieldError(
            f"rows[{n}].school_code",
            "jurisdiction",
            t("不在此客户端的管辖区域内", "outside this client's jurisdiction"),
        )
        for r, n in zip(rows, numbers, strict=True)
        if r.school_code in schools
        and not principal.jurisdiction.covers_code(schools[r.school_code].county_code)
    ]
    if outside:
        raise Forbidden(
            t(
                "部分学校不在此客户端的管辖区域内",
                "some schools are outside this client's jurisdiction",
            ),
            *outside[:1000],
        )
    existing = await repository.existing([r.citizen_id for r in rows])
    holders = await repository.holders([r.student_number for r in rows if r.student_number])
    errors = _duplicates(rows, numbers) + _numbers_held(rows, numbers, holders)
    for row, number in zip(rows, numbers, strict=True):
        found = [rules.school_error(schools.get(row.school_code), row.level)]
        known = existing.get(row.citizen_id)
        if known is not None and not principal.jurisdiction.covers_code(known.county_code):
            found.append(
                FieldError(
                    "citizen_id",
                    "student_in_other_jurisdiction",
                    t(
                        "该儿童在另一区县的学籍名册中：请登记转学（异地转学）",
                        "the child is on another county's roster: record a transfer (异地转学)",
                    ),
                )
            )
        errors += row_errors(number, [e for e in found if e is not None])
    reject_rows(errors)

    now = utcnow()
    created: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in rows:
        county = schools[row.school_code].county_code
        known = existing.get(row.citizen_id)
        if known is None:
            key = student_key(pseudonym_key, row.citizen_id)
            created.append({"id": uuid7(), **service.new_row(row, county_code=county, key=key)})
            continue
        kept_number = row.student_number or known.student_number
        changed.append(
            {
                "b_id": known.id,
                "b_name": row.name,
                "b_name_born_index": name_born_index(row.name, row.citizen_id),
                # a blank cell keeps the number stored: an older sheet has no 学籍号 column
                "b_student_number": kept_number,
                "b_student_number_index": (
                    None if kept_number is None else student_number_index(kept_number)
                ),
                "b_county_code": county,
                "b_school_code": row.school_code,
                "b_level": row.level.value,
                "b_grade": row.grade,
                "b_boarding": row.boarding,
                "b_status": "enrolled",
                "b_version": known.version + 1,
                "b_updated_at": now,
            }
        )
    placements = await repository.pending([str(r["student_key"]) for r in created])
    if placements:
        created = [
            service.with_placement(r, placements[str(r["student_key"])])
            if r["student_key"] in placements
            else r
            for r in created
        ]
        await repository.drop_pending(list(placements))
    await repository.insert_many(created)
    await repository.update_many(changed)
    return StudentImportRead(
        rows=len(rows),
        created=len(created),
        updated=len(changed),
        placements_applied=len(placements),
    )
