from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from junheng_kit import classification
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.identifiers import CountyCode, SchoolCode
from junheng_kit.pagination import (
    CursorQuery,
    LimitQuery,
    cut_page,
    decode_uuid_cursor,
)
from junheng_kit.problems import (
    BadRequest,
    Conflict,
    NotFound,
    PreconditionFailed,
    RuleViolated,
    UnsupportedMediaType,
    problem_responses,
)
from junheng_kit.tabular import CSV, SHEET_BODY, XLSX, media_type_of, write_csv, write_xlsx
from staffing.teachers import service, sheet, sheet_export, stats
from staffing.teachers.audit import (
    ID_MASKED,
    IN_FULL,
    Exported,
    Imported,
    Listed,
    Read,
    Registered,
    Updated,
    touched,
)
from staffing.teachers.codes import TeacherStatus
from staffing.teachers.models import SchoolRurality, Teacher, TeacherImport
from staffing.teachers.repository import TeacherRepository
from staffing.teachers.rules import TeacherFlag
from staffing.teachers.schemas import (
    ExportFormat,
    MoveCreate,
    RuralityPut,
    RuralityRead,
    SchoolTeacherStatsRead,
    TeacherCreate,
    TeacherHistory,
    TeacherImportRead,
    TeacherPage,
    TeacherRead,
    TeacherUpdate,
)
from staffing.training.schemas import StatsRecountRead

router = APIRouter(tags=["teachers"])

Reader = Annotated[Principal, Depends(require_scopes("staffing:read"))]
Writer = Annotated[Principal, Depends(require_scopes("staffing:write"))]
PII = "staffing:pii"  # shows a teacher's citizen ID in full (single views, exports)


def shown(principal: Principal) -> list[str]:
    """The field classes a teacher's answer carries for this caller: citizen IDs in full only
    with `staffing:pii`."""
    return IN_FULL if PII in principal.scopes else ID_MASKED


def _read(teacher: Teacher, principal: Principal, *, in_list: bool = False) -> TeacherRead:
    """A teacher as the caller may see them: the personal fields masked as their classification
    says (the citizen ID; names and birth dates are shown to every staffing reader) in lists,
    and everywhere without `staffing:pii`."""
    read = TeacherRead.of(teacher)
    return read if PII in principal.scopes and not in_list else classification.masked(read)


@router.post(
    "/v1/teachers",
    status_code=201,
    summary="Register a teacher (教师登记)",
    responses=problem_responses(Conflict, RuleViolated),
)
async def register_teacher(
    audit: Registered,
    body: TeacherCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
) -> TeacherRead:
    """教师登记: emits `staffing.teacher.registered` and, when the school's counts change,
    `staffing.school_teacher_stats.changed`. A 公民身份号码 already registered is 409."""
    teacher = await service.register_teacher(session, principal, request=body)
    touched(audit, [teacher], shown(principal))
    response.headers["Location"] = f"/v1/teachers/{teacher.id}"
    response.headers["ETag"] = etag(teacher.version)
    return _read(teacher, principal)


@router.get("/v1/teachers", summary="List teachers", responses=problem_responses())
async def list_teachers(
    audit: Listed,
    session: SessionDep,
    principal: Reader,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    county_code: CountyCode | None = None,
    school_code: SchoolCode | None = None,
    status: Annotated[TeacherStatus | None, Query()] = None,
    flag: Annotated[
        TeacherFlag | None,
        Query(description="only teachers with this flag, e.g. no_teacher_qualification"),
    ] = None,
) -> TeacherPage:
    """Teachers in the caller's jurisdiction (citizen IDs masked), by registry id; `flag`
    lists those a bureau should look at (a 专任教师 without a 教师资格证, or with one below the
    学段 taught)."""
    rows = await TeacherRepository(session).page(
        within=principal.jurisdiction,
        county_code=county_code,
        school_code=school_code,
        status=status,
        after=decode_uuid_cursor(cursor),
        limit=limit,
        flag=flag,
    )
    rows, next_cursor = cut_page(rows, limit, key=lambda t: t.id)
    touched(audit, rows, ID_MASKED)
    return TeacherPage(
        items=[_read(t, principal, in_list=True) for t in rows], next_cursor=next_cursor
    )


@router.get(
    "/v1/teachers/{teacher_id}", summary="Get a teacher", responses=problem_responses(NotFound)
)
async def get_teacher(
    audit: Read, teacher_id: UUID, session: SessionDep, principal: Reader, response: Response
) -> TeacherRead:
    """One teacher; the citizen ID in full only with `staffing:pii`."""
    teacher = await TeacherRepository(session).get(teacher_id, within=principal.jurisdiction)
    touched(audit, [teacher], shown(principal))
    response.headers["ETag"] = etag(teacher.version)
    return _read(teacher, principal)


@router.patch(
    "/v1/teachers/{teacher_id}",
    summary="Change a teacher (教师信息变更)",
    responses=problem_responses(NotFound, PreconditionFailed, RuleViolated),
)
async def update_teacher(
    audit: Updated,
    teacher_id: UUID,
    body: TeacherUpdate,
    session: SessionDep,
    principal: Writer,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> TeacherRead:
    """Send `If-Match: "<version>"` to avoid lost updates; the school changes only by a move."""
    teacher = await service.update_teacher(
        session,
        principal,
        teacher_id=teacher_id,
        request=body,
        if_match=version_from_if_match(if_match),
    )
    touched(audit, [teacher], shown(principal))
    response.headers["ETag"] = etag(teacher.version)
    return _read(teacher, principal)


@router.post(
    "/v1/teachers/{teacher_id}/moves",
    status_code=201,
    summary="Move a teacher to another school (调动)",
    responses=problem_responses(NotFound, RuleViolated),
)
async def move_teacher(
    audit: Updated,
    teacher_id: UUID,
    body: MoveCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
) -> TeacherRead:
    """Closes the current posting and opens one at the new school (history is kept); emits
    `staffing.teacher.moved` and the two schools' changed counts."""
    teacher = await service.move_teacher(session, principal, teacher_id=teacher_id, request=body)
    touched(audit, [teacher], shown(principal))
    response.headers["Location"] = f"/v1/teachers/{teacher.id}/history"
    response.headers["ETag"] = etag(teacher.version)
    return _read(teacher, principal)


@router.get(
    "/v1/teachers/{teacher_id}/history",
    summary="A teacher's postings and rural service",
    responses=problem_responses(NotFound),
)
async def teacher_history(
    teacher_id: UUID, session: SessionDep, principal: Reader
) -> TeacherHistory:
    return await service.teacher_history(session, principal, teacher_id=teacher_id)


def _import_read(record: TeacherImport) -> TeacherImportRead:
    return TeacherImportRead.model_validate(record, from_attributes=True)


@router.post(
    "/v1/teacher-imports",
    status_code=201,
    summary="Import teachers from CSV or XLSX (教师信息表)",
    responses=problem_responses(BadRequest, UnsupportedMediaType),
    openapi_extra=SHEET_BODY,
)
async def import_teachers(
    audit: Imported,
    request: Request,
    session: SessionDep,
    principal: Writer,
    content_type: Annotated[str, Header()] = "",
) -> TeacherImportRead:
    """Send the sheet as the body (`text/csv` or the XLSX type) with Chinese column titles (see
    the export). Every bad cell is reported as `rows[<sheet row>].<field>`; one bad row
    imports nothing. New IDs register, known ones update, a changed school is a move."""
    record = await sheet.import_teachers(
        session,
        principal,
        content=await request.body(),
        media_type=media_type_of(content_type),
    )
    audit.touched(ids=[record.id], count=record.rows, classes=IN_FULL)
    return _import_read(record)


@router.get(
    "/v1/teacher-exports",
    summary="Export teachers as XLSX or CSV (same columns as the import)",
    response_class=Response,
    responses={
        **problem_responses(),
        200: {"content": {XLSX: {}, CSV: {}}},
    },
)
async def export_teachers(
    audit: Exported,
    session: SessionDep,
    principal: Reader,
    county_code: CountyCode | None = None,
    format: ExportFormat = "xlsx",
) -> Response:
    """The register as the import reads it; without `staffing:pii` the citizen IDs come
    masked (such a sheet reads, but cannot be imported back)."""
    rows = await sheet_export.export_rows(session, principal, county_code=county_code)
    if PII not in principal.scopes:
        rows = sheet_export.masked_rows(rows)
    audit.touched(count=len(rows), classes=shown(principal), county_code=county_code)
    name = f"teachers-{county_code or 'all'}"
    if format == "csv":
        return Response(
            write_csv(sheet.COLUMNS, rows),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        write_xlsx(sheet.COLUMNS, rows, "教师信息"),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@router.get(
    "/v1/schools/{school_code}/teacher-stats",
    summary="A school's teacher counts for evaluation indicators 1–3",
    responses=problem_responses(NotFound),
)
async def school_teacher_stats(
    school_code: str, session: SessionDep, principal: Reader
) -> SchoolTeacherStatsRead:
    """The counts last published in `staffing.school_teacher_stats.changed`."""
    entry = await stats.school_stats(session, principal, school_code=school_code)
    return SchoolTeacherStatsRead.of(entry)


@router.post(
    "/v1/counties/{county_code}/teacher-stats/recount",
    summary="Recount and publish a county's teacher counts as of today",
    responses=problem_responses(),
)
async def recount_teacher_stats(
    county_code: CountyCode, session: SessionDep, principal: Writer
) -> StatsRecountRead:
    """Training hours leave the five-year window as days pass, while counts are otherwise
    recounted only when the registry changes: this recounts every school of the county as of
    today and publishes `staffing.school_teacher_stats.changed` for each whose counts changed
    or were last published on another day (e.g. before the school year being evaluated)."""
    as_of, schools, published = await stats.recount_county(
        session, principal, county_code=county_code
    )
    return StatsRecountRead(
        county_code=county_code, as_of=as_of, schools=schools, published=published
    )


def _rurality(entry: SchoolRurality) -> RuralityRead:
    return RuralityRead.model_validate(entry, from_attributes=True)


@router.put(
    "/v1/schools/{school_code}/rurality",
    summary="Mark a school rural or not (乡村学校)",
    responses=problem_responses(RuleViolated),
)
async def put_rurality(
    school_code: str, body: RuralityPut, session: SessionDep, principal: Writer
) -> RuralityRead:
    """Postings at schools marked rural count as rural service (职称 and principal rules)."""
    entry = await service.set_rurality(
        session, principal, school_code=school_code, is_rural=body.is_rural
    )
    return _rurality(entry)
