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
from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

import polars as pl
from pydantic import TypeAdapter, ValidationError, field_validator, model_validator
from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.staffing import TeacherMoved, TeacherRegistered
from junheng_kit.auth import Principal
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.i18n import RuleError
from junheng_kit.i18n import t as tt
from junheng_kit.identifiers import citizen_id_gender_expr
from junheng_kit.ids import uuid7_many
from junheng_kit.messaging.bulk import add_event_frame
from junheng_kit.problems import BadRequest, FieldError, Forbidden, validation_field_errors
from junheng_kit.tabular import (
    Column,
    SheetColumns,
    SheetRecord,
    read_columns,
    reject_rows,
    row_errors,
    sheet_date_text,
)
from junheng_kit.timeutil import utcnow
from staffing.teachers import repository, rules, service, sheet_frame, stats
from staffing.teachers.codes import PostType, Section, TeacherStatus
from staffing.teachers.models import Teacher, TeacherAssignment, TeacherImport
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
    Column("leadership_post", ("校级领导职务", "行政职务"), required=False),
    Column("teacher_qualification_type", ("教师资格种类", "教师资格类别"), required=False),
    Column("teacher_qualification_number", ("教师资格证书编号", "教师资格证号"), required=False),
    Column("teacher_qualification_subject", ("教师资格任教学科",), required=False),
    Column("rural_service", ("乡村学校任教经历",), required=False),
)
TEACHER = cast(Table, Teacher.__table__)  # Core statements: no ORM bookkeeping per row
ASSIGNMENT = cast(Table, TeacherAssignment.__table__)
DATE_FIELDS = ("birth_date", "school_joined_on", "hire_date")
_PERIOD = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*[~至]\s*(\d{4}-\d{2}-\d{2})\s*(.*)$")


class TeacherSheetRow(TeacherCreate):
    """One sheet row: dates may be written 2010/9/1 or 2010.09.01; earlier rural service as
    `2010-09-01~2015-08-31 某某小学; …` (end exclusive); the 教师资格证 in three columns."""

    @model_validator(mode="before")
    @classmethod
    def _dates(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for field in DATE_FIELDS:
                if field in data:
                    data[field] = sheet_date_text(data[field])
            cells = {f: data.pop(f, None) for f in sheet_frame.QUALIFICATION_FIELDS}
            if any(v is not None for v in cells.values()):
                data["teacher_qualification"] = {
                    f.removeprefix("teacher_qualification_"): v for f, v in cells.items()
                }
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
                raise RuleError(
                    "rural_service_format",
                    tt(
                        "请按 2010-09-01~2015-08-31 学校名称 的格式填写期间；……",
                        "write periods as 2010-09-01~2015-08-31 <school name>; …",
                    ),
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
            # the certificate's cells are columns of their own in the sheet
            field = field.replace("teacher_qualification.", "teacher_qualification_")
            errors += row_errors(
                records[int(index)].row, [FieldError(field, error.rule, error.message)]
            )
        reject_rows(errors)
        raise  # unreachable: reject_rows raised


def _validated(sheet: SheetColumns) -> tuple[pl.DataFrame, dict[int, list[RuralPeriod]]]:
    """Every row normalised (sheet_frame's shape, in sheet order) and the earlier rural service
    by record index. Plain rows are checked column-wise; the others by the row schema, whose
    errors (every bad cell) reject the sheet."""
    good, rest = sheet_frame.validate(sheet_frame.raw_frame(sheet))
    if rest.height == 0:
        return good, {}
    indices = rest["index"].to_list()
    subset = [sheet.record(i) for i in indices]
    rows = _cell_errors(subset)
    slow = sheet_frame.from_rows(indices, [r.row for r in subset], rows)
    rural = {
        i: row.rural_service for i, row in zip(indices, rows, strict=True) if row.rural_service
    }
    return pl.concat([good, slow]).sort("index"), rural


POSTINGS_SCHEMA = {
    "citizen_id": pl.String,
    "teacher_id": pl.String,
    "current_school_code": pl.String,
    "current_county_code": pl.String,
    "current_joined_on": pl.Date,
    "current_status": pl.String,
    "current_version": pl.Int64,
}


def _postings_frame(postings: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            (
                citizen_id,
                str(p.id),
                p.school_code,
                p.county_code,
                p.school_joined_on,
                str(p.status),
                p.version,
            )
            for citizen_id, p in postings.items()
        ],
        schema=POSTINGS_SCHEMA,
        orient="row",
    )


def _schools_frame(facts: dict[str, repository.SchoolFacts]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "school_code": list(facts),
            "county_code": [f.county_code for f in facts.values()],
            "offered": [
                [s.value for s in rules.sections_offered(f.levels)] for f in facts.values()
            ],
        },
        schema={"school_code": pl.String, "county_code": pl.String, "offered": pl.List(pl.String)},
    )


def _row_rule_errors(
    row: dict[str, Any], facts: dict[str, repository.SchoolFacts]
) -> list[FieldError]:
    """The per-row rules, for a row the column checks flagged (same order as always)."""
    found: list[FieldError | None] = [
        rules.posting_dates_error(row["hire_date"], row["school_joined_on"]),
        rules.subjects_error(PostType(row["post_type"]), row["subjects"]),
    ]
    school = facts.get(row["school_code"])
    if school is None:
        found.append(
            FieldError(
                "school_code",
                "school_registered",
                tt("不在学校名录中", "not in the school registry"),
            )
        )
    else:
        found.append(rules.section_error(school.levels, Section(row["section"]), field="section"))
    if row["teacher_id"] is not None and row["current_school_code"] != row["school_code"]:
        if row["current_status"] != TeacherStatus.ACTIVE:
            found.append(
                FieldError(
                    "status",
                    "teacher_active",
                    tt("只有在职教师可以调动", "only active teachers move"),
                )
            )
        elif row["school_joined_on"] < row["current_joined_on"]:
            found.append(
                FieldError(
                    "school_joined_on",
                    "move_not_before_current_period",
                    tt(
                        f"当前任职开始于 {row['current_joined_on'].isoformat()}",
                        f"the current posting began on {row['current_joined_on'].isoformat()}",
                    ),
                )
            )
    return [e for e in found if e is not None]


async def import_teachers(
    session: AsyncSession, principal: Principal, *, content: bytes, media_type: str
) -> TeacherImport:
    """Import a teacher sheet: all rows or none; the upload's SHA-256 is recorded."""
    sheet = read_columns(content, media_type, COLUMNS, engine="calamine")
    if not sheet.rows:
        raise BadRequest(
            tt("表格没有教师数据行", "the sheet has no teacher rows"),
            FieldError("body", "rows_required"),
        )
    frame, rural = _validated(sheet)

    facts = await repository.schools(session, frame["school_code"].unique().to_list())
    outside = [
        code
        for code, school in facts.items()
        if not principal.jurisdiction.covers_code(school.county_code)
    ]
    if outside:
        numbers = frame.filter(pl.col("school_code").is_in(outside))["row"].to_list()
        raise Forbidden(
            tt(
                "部分学校不在此客户端的管辖区域内",
                "some schools are outside this client's jurisdiction",
            ),
            *[
                FieldError(
                    f"rows[{n}].school_code",
                    "jurisdiction",
                    tt("不在此客户端的管辖区域内", "outside this client's jurisdiction"),
                )
                for n in numbers[:1000]
            ],
        )
    postings = await TeacherRepository(session).postings_by_citizen_id(
        frame["citizen_id"].unique().sort().to_list()
    )
    moved = pl.col("teacher_id").is_not_null() & (
        pl.col("current_school_code") != pl.col("school_code")
    )
    checked = (
        frame.join(_schools_frame(facts), on="school_code", how="left")
        .join(_postings_frame(postings), on="citizen_id", how="left")
        .sort("index")
        .with_columns(
            (~pl.col("citizen_id").is_first_distinct()).alias("duplicate"),
            pl.col("row").first().over("citizen_id").alias("first_row"),
            moved.alias("moved"),
            (
                (pl.col("school_joined_on") < pl.col("hire_date"))
                | (
                    (pl.col("post_type") == PostType.FULL_TIME.value)
                    & (pl.col("subjects").list.len() == 0)
                )
                | pl.col("county_code").is_null()
                | ~pl.col("offered").list.contains(pl.col("section")).fill_null(False)
                | (
                    moved
                    & (
                        (pl.col("current_status") != TeacherStatus.ACTIVE.value)
                        | (pl.col("school_joined_on") < pl.col("current_joined_on"))
                    )
                )
            ).alias("flagged"),
        )
    )
    errors = [
        error
        for r in checked.filter(pl.col("duplicate")).iter_rows(named=True)
        for error in row_errors(
            r["row"],
            [
                FieldError(
                    "citizen_id",
                    "citizen_id_unique_in_sheet",
                    tt(
                        f"第 {r['first_row']} 行有相同的公民身份号码",
                        f"the same 公民身份号码 (citizen ID) is on row {r['first_row']}",
                    ),
                )
            ],
        )
    ]
    for r in checked.filter(pl.col("flagged")).iter_rows(named=True):
        errors += row_errors(r["row"], _row_rule_errors(r, facts))
    reject_rows(errors)
    return await _write(
        session, principal, checked, rural, content, media_type, updated_fields(sheet)
    )


GENDER_OF_ID = citizen_id_gender_expr()  # the Gender values: "male", "female"
TEACHER_FIELDS = (
    "name", "gender", "school_code", "county_code", "section", "post_type", "main_subject",
    "subjects", "title", "degree", "backbone_level", "staffing_status", "hire_date", "status",
)  # fmt: skip
# columns younger than the register's first template: a sheet without them keeps what is stored
LATER_FIELDS = ("leadership_post", *sheet_frame.QUALIFICATION_FIELDS)


REGISTERED_DATA = (
    "teacher_id", "school_code", "county_code", "section", "post_type", "main_subject", "title",
    "degree", "backbone_level", "staffing_status", "status", "school_joined_on", "version",
    "leadership_post", "teacher_qualification_type", "teacher_qualification_subject",
)  # fmt: skip


def updated_fields(sheet: SheetColumns) -> tuple[str, ...]:
    """What an import writes over a known teacher: every field, except the 校级领导职务 when the
    sheet lacks its column and the 教师资格证 when it lacks all three of its columns (an older
    template must not erase what was recorded since)."""
    later: tuple[str, ...] = ()
    if sheet.has_column("leadership_post"):
        later += ("leadership_post",)
    if any(sheet.has_column(f) for f in sheet_frame.QUALIFICATION_FIELDS):
        later += sheet_frame.QUALIFICATION_FIELDS
    return (*TEACHER_FIELDS, *later)


def _columns(frame: pl.DataFrame, *names: str) -> dict[str, list[Any]]:
    return {name: frame[name].to_list() for name in names}


async def _write(
    session: AsyncSession,
    principal: Principal,
    checked: pl.DataFrame,
    rural_by_index: dict[int, list[RuralPeriod]],
    content: bytes,
    media_type: str,
    updated: tuple[str, ...],
) -> TeacherImport:
    """Bulk statements only: teachers, changes (the `updated` fields), postings, rural periods,
    outbox, counts."""
    now = utcnow()
    frame = checked.with_columns(
        pl.coalesce("gender", GENDER_OF_ID).alias("gender"),
        pl.col("subjects").list.first().alias("main_subject"),
    )
    new = frame.filter(pl.col("teacher_id").is_null())
    known = frame.filter(pl.col("teacher_id").is_not_null())
    moves = known.filter(pl.col("moved"))
    new_ids = uuid7_many(new.height)
    teacher_of_index = dict(zip(new["index"].to_list(), new_ids, strict=True))
    teacher_of_index.update(
        zip(known["index"].to_list(), map(UUID, known["teacher_id"].to_list()), strict=True)
    )
    connection = await session.connection()  # column-wise executemany, no ORM objects per row

    count = new.height
    await insert_columns(
        connection,
        TEACHER,
        {
            "id": new_ids,
            **_columns(new, *TEACHER_FIELDS[1:], *LATER_FIELDS, "birth_date", "school_joined_on"),
            **sheet_frame.encrypted_identity(new),  # ID, its blind index, name
            "version": [1] * count,
            "created_at": [now] * count,
            "updated_at": [now] * count,
        },
        encoded=sheet_frame.ENCRYPTED,
    )
    if known.height:
        changed = known.select(
            *[pl.col(f).alias(f"b_{f}") for f in updated],
            pl.col("teacher_id").alias("b_id"),
            pl.when(pl.col("moved"))
            .then(pl.col("school_joined_on"))
            .otherwise(pl.col("current_joined_on"))
            .alias("b_school_joined_on"),
            (pl.col("current_version") + 1).alias("b_version"),
        ).to_dicts()
        for values in changed:
            values.update(b_id=UUID(values["b_id"]), b_updated_at=now)
        fields = [*updated, "school_joined_on", "version", "updated_at"]
        statement = (
            update(TEACHER)
            .where(TEACHER.c.id == bindparam("b_id"))
            .values({f: bindparam(f"b_{f}") for f in fields})
        )
        for part in repository.chunks(changed):
            await connection.execute(statement, part)

    moved_ids = [UUID(t) for t in moves["teacher_id"].to_list()]
    sequences = await TeacherRepository(session).last_sequences(moved_ids)
    postings = pl.concat([new, moves]).select("school_code", "county_code", "section")
    total = postings.height
    await insert_columns(
        connection,
        ASSIGNMENT,
        {
            "teacher_id": [*new_ids, *moved_ids],
            "sequence": [1] * count + [sequences.get(t, 0) + 1 for t in moved_ids],
            **_columns(postings, "school_code", "county_code", "section"),
            "started_on": [
                *new["school_joined_on"].to_list(),
                *moves["school_joined_on"].to_list(),
            ],
            "reason": ["imported"] * total,
            "plan_reference": [None] * total,
            "recorded_by": [principal.client_id] * total,
            "recorded_at": [now] * total,
        },
    )
    await service.replace_imported_rural_periods(
        session, {teacher_of_index[i]: periods for i, periods in rural_by_index.items()}
    )

    registered = new.with_columns(
        pl.Series("teacher_id", [str(t) for t in new_ids], dtype=pl.String),
        pl.lit(1).alias("version"),
    )
    await add_event_frame(
        session,
        TeacherRegistered,
        registered.select(
            pl.col("teacher_id").alias("subject"),
            pl.col("county_code").alias("jurisdiction"),
            pl.struct(*REGISTERED_DATA).alias("data"),
        ),
    )
    await add_event_frame(
        session,
        TeacherMoved,
        moves.select(
            pl.col("teacher_id").alias("subject"),
            pl.col("county_code").alias("jurisdiction"),
            pl.struct(
                "teacher_id",
                pl.col("current_school_code").alias("from_school_code"),
                pl.col("current_county_code").alias("from_county_code"),
                pl.col("school_code").alias("to_school_code"),
                pl.col("county_code").alias("to_county_code"),
                "section",
                pl.col("school_joined_on").alias("moved_on"),
                pl.lit("imported").alias("reason"),
                pl.lit(None, dtype=pl.String).alias("plan_reference"),
                (pl.col("current_version") + 1).alias("version"),
            ).alias("data"),
        ),
    )
    record = TeacherImport(
        content_sha256=hashlib.sha256(content).hexdigest(),
        media_type=media_type,
        rows=frame.height,
        registered=count,
        updated=known.height - moves.height,
        moved=moves.height,
        imported_by=principal.client_id,
        imported_at=now,
    )
    session.add(record)
    await session.flush()
    affected = set(frame["school_code"].to_list()) | set(moves["current_school_code"].to_list())
    await stats.refresh_school_stats(session, sorted(affected))
    return record
