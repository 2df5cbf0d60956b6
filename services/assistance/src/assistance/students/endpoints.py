from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from assistance.agencies.repository import AgencyRepository
from assistance.awards.awards import service as awards_service
from assistance.students import service, sheet
from assistance.students.audit import (
    StudentCreated,
    StudentRead_,
    StudentSearched,
    StudentsImported,
    StudentsListed,
    touched,
)
from assistance.students.models import Student
from assistance.students.repository import StudentRepository
from assistance.students.schemas import (
    RosterSummaryRead,
    StudentAidRead,
    StudentAidSearch,
    StudentCreate,
    StudentFlag,
    StudentImportRead,
    StudentPage,
    StudentRead,
    StudentStatus,
)
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.classification import masked
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag
from junheng_kit.identifiers import CountyCode, SchoolCode, student_key
from junheng_kit.pagination import (
    CursorQuery,
    LimitQuery,
    cut_page,
    decode_uuid_cursor,
)
from junheng_kit.problems import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolated,
    UnsupportedMediaType,
    problem_responses,
)
from junheng_kit.tabular import CSV, SHEET_BODY, XLSX, media_type_of, write_csv, write_xlsx
from junheng_kit.timeutil import china_today

router = APIRouter(tags=["students"])

Reader = Annotated[Principal, Depends(require_scopes("assistance:read"))]
Writer = Annotated[Principal, Depends(require_scopes("assistance:write"))]
PII = "assistance:pii"
PiiReader = Annotated[Principal, Depends(require_scopes("assistance:read", PII))]


def student_read(student: Student, principal: Principal, *, on: date) -> StudentRead:
    """The row as the caller may see it, with its flags under the rules in force on `on`."""
    read = StudentRead.model_validate(student, from_attributes=True).model_copy(
        update={"flags": service.flags_of(student, on=on)}
    )
    return read if PII in principal.scopes else masked(read)


def _pseudonym_key(request: Request) -> bytes:
    key: bytes = request.app.state.settings.pseudonym_key.get_secret_value().encode()
    return key


@router.post(
    "/v1/students",
    status_code=201,
    summary="Put a child on the roster (学生名册)",
    responses=problem_responses(Conflict, Forbidden, RuleViolated),
)
async def register_student(
    audit: StudentCreated,
    body: StudentCreate,
    request: Request,
    session: SessionDep,
    principal: Writer,
    response: Response,
) -> StudentRead:
    """The school must be in the school copy within the caller's jurisdiction and teach the
    学段; gender and birth date, when sent, must agree with the 公民身份号码, and so must a G
    学籍号 (`student_number_matches_citizen_id`); a 学籍号 is on the roster once (409
    `student_number_unique`)."""
    student = await service.register_student(
        session, principal, request=body, pseudonym_key=_pseudonym_key(request)
    )
    touched(audit, [student], principal)
    response.headers["Location"] = f"/v1/students/{student.id}"
    response.headers["ETag"] = etag(student.version, unmasked=PII in principal.scopes)
    return student_read(student, principal, on=china_today())


@router.post(
    "/v1/students/imports",
    status_code=201,
    summary="Import the roster from CSV or XLSX (学生名册导入)",
    responses=problem_responses(BadRequest, Forbidden, InvalidInput, UnsupportedMediaType),
    openapi_extra=SHEET_BODY,
)
async def import_students(
    audit: StudentsImported,
    request: Request,
    session: SessionDep,
    principal: Writer,
    content_type: Annotated[str, Header()] = "",
) -> StudentImportRead:
    """Columns 姓名, 身份证件号, 学籍号 (optional), 性别, 出生日期, 学校标识码, 学段, 年级,
    是否寄宿生 (template). Every bad cell is reported as `rows[<sheet row>].<field>`; one bad row
    imports nothing. New IDs join the roster, known IDs are updated (upsert by 身份证件号; a blank
    学籍号 keeps the one stored). A 学籍号 is on the roster once (`student_number_unique_in_sheet`,
    `student_number_unique`)."""
    imported = await sheet.import_students(
        session,
        principal,
        content=await request.body(),
        media_type=media_type_of(content_type),
        pseudonym_key=_pseudonym_key(request),
    )
    audit.touched(count=imported.rows, classes=["personal", "sensitive"])
    return imported


@router.get(
    "/v1/students/imports/template",
    summary="Empty roster sheet with the import's column titles",
    response_class=Response,
    responses={**problem_responses(), 200: {"content": {XLSX: {}, CSV: {}}}},
)
async def import_template(
    _: Reader, format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx"
) -> Response:
    if format == "csv":
        return Response(
            write_csv(sheet.COLUMNS, []),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="students-template.csv"'},
        )
    return Response(
        write_xlsx(sheet.COLUMNS, [], "学生名册"),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="students-template.xlsx"'},
    )


@router.get("/v1/students", summary="List the roster", responses=problem_responses())
async def list_students(
    audit: StudentsListed,
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    county_code: CountyCode | None = None,
    school_code: SchoolCode | None = None,
    status: Annotated[StudentStatus | None, Query()] = None,
    flag: Annotated[
        StudentFlag | None,
        Query(description="only rows with this flag (young_boarder: see the student's `flags`)"),
    ] = None,
) -> StudentPage:
    """Students in the caller's jurisdiction by roster id; masked without `assistance:pii`.
    `flag=young_boarder` lists the enrolled primary boarders below the boarding rule's grade in
    force for their county today (seed 000 in Inner Mongolia: grades 1–3)."""
    today = china_today()
    rows = await StudentRepository(session).page(
        within=principal.jurisdiction,
        county_code=county_code,
        school_code=school_code,
        status=status,
        after=decode_uuid_cursor(cursor),
        limit=limit,
        young_boarders=service.young_boarder_filter(flag, on=today),
    )
    rows, next_cursor = cut_page(rows, limit, key=lambda s: s.id)
    touched(audit, rows, principal)
    return StudentPage(
        items=[student_read(s, principal, on=today) for s in rows], next_cursor=next_cursor
    )


@router.post(
    "/v1/students/search",
    summary="A child's roster row and aid by citizen ID (needs assistance:pii)",
    responses=problem_responses(Forbidden),
)
async def search_student_aid(
    audit: StudentSearched,
    body: StudentAidSearch,
    request: Request,
    session: SessionDep,
    principal: PiiReader,
) -> StudentAidRead:
    """The child's roster row in the caller's jurisdiction and every award of the child the
    caller may see (its counties, and 异地 history of pupils who moved in), unmasked. POST keeps
    the 公民身份号码 out of URLs and access logs; 403 `scope_required` without `assistance:pii`."""
    audit.touched(student_keys=[student_key(_pseudonym_key(request), body.citizen_id)])
    student = await AgencyRepository(session).student_by_citizen_id(body.citizen_id)
    if student is None or not principal.jurisdiction.covers_code(student.county_code):
        return StudentAidRead(student=None, awards=[])
    touched(audit, [student], principal)
    awards = await awards_service.list_awards(
        session, principal, filters={"student_id": student.id}, cursor=None, limit=1000
    )
    return StudentAidRead(
        student=student_read(student, principal, on=china_today()), awards=awards.items
    )


@router.get(
    "/v1/students/summary",
    summary="Roster counts per county: enrolled, boarders, young boarders (寄宿)",
    responses=problem_responses(),
)
async def roster_summary(
    session: SessionDep, principal: Reader, county_code: CountyCode | None = None
) -> RosterSummaryRead:
    """Per county in the caller's jurisdiction (or the one asked for; outside it: 403):
    enrolled pupils, boarders and `young_boarders` — enrolled primary boarders below the
    boarding rule's grade in force today. Seed 000 (Inner Mongolia, scope 15): 原则上小学3年级
    及以下学生不寄宿; a county without a rule has `young_boarders` null. No personal data."""
    return await service.roster_summary(
        session, principal, county_code=county_code, on=china_today()
    )


@router.get(
    "/v1/students/{student_id}", summary="Get a student", responses=problem_responses(NotFound)
)
async def get_student(
    audit: StudentRead_,
    student_id: UUID,
    session: SessionDep,
    principal: Reader,
    response: Response,
) -> StudentRead:
    student = await StudentRepository(session).get(student_id, within=principal.jurisdiction)
    touched(audit, [student], principal)
    response.headers["ETag"] = etag(student.version, unmasked=PII in principal.scopes)
    return student_read(student, principal, on=china_today())
