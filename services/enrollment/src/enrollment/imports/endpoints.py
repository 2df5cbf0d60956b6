"""Bulk sheets over HTTP: import (CSV/XLSX body), export (same columns) and empty templates for
schools, zones' school lists and applications."""

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from enrollment.admission import reads
from enrollment.admission import sheet as application_sheet
from enrollment.admission.audit import Exported, Imported
from enrollment.admission.repository import ApplicationRepository
from enrollment.imports.models import SheetImport
from enrollment.imports.schemas import ExportFormat, SheetImportRead, SheetKind
from enrollment.schools import sheet as school_sheet
from enrollment.schools.repository import SchoolRepository
from enrollment.zoning import service as zoning
from enrollment.zoning import sheet as zone_sheet
from enrollment.zoning.repository import ZoneMapRepository
from junheng_kit.audit import classes_shown
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.gc_pause import CollectorPausedRoute
from junheng_kit.identifiers import CountyCode
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
from junheng_kit.tabular import CSV, SHEET_BODY, XLSX, Column, media_type_of, write_csv, write_xlsx
from junheng_kit.timeutil import china_today

# sheets of hundreds of thousands of rows build as many small, cycle-free objects
router = APIRouter(tags=["imports"], route_class=CollectorPausedRoute)

Reader = Annotated[Principal, Depends(require_scopes("enrollment:read"))]
Writer = Annotated[Principal, Depends(require_scopes("enrollment:write"))]
Year = Annotated[int, Query(ge=2000, le=2100, description="school year by its start year")]

SHEET_RESPONSES = {
    **problem_responses(),
    200: {"content": {XLSX: {}, CSV: {}}, "description": "the sheet"},
}
IMPORT_ERRORS = (BadRequest, Forbidden, InvalidInput, RuleViolated, UnsupportedMediaType)
TEMPLATES: dict[str, tuple[tuple[Column, ...], str]] = {
    "schools": (school_sheet.COLUMNS, "学校信息"),
    "zone-school-lists": (zone_sheet.COLUMNS, "片区对口学校"),
    "applications": (application_sheet.COLUMNS, "入学申请"),
}


def _sheet(
    columns: tuple[Column, ...], rows: list[list[object]], title: str, name: str, fmt: str
) -> Response:
    if fmt == "csv":
        return Response(
            write_csv(columns, rows),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        write_xlsx(columns, rows, title),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def _read(record: SheetImport, *, replayed: bool = False) -> SheetImportRead:
    read = SheetImportRead.model_validate(record, from_attributes=True)
    return read.model_copy(update={"replayed": replayed})


@router.get(
    "/v1/import-templates/{kind}",
    summary="An empty sheet with the Chinese column titles of an import",
    response_class=Response,
    responses=SHEET_RESPONSES,
)
async def import_template(
    kind: Annotated[SheetKind, Path()], principal: Reader, format: ExportFormat = "xlsx"
) -> Response:
    """模板下载: the header row the import reads (the export writes the same columns)."""
    columns, title = TEMPLATES[kind]
    return _sheet(columns, [], title, f"{kind}-template", format)


# ---- schools ------------------------------------------------------------------------------------


@router.post(
    "/v1/school-imports",
    status_code=201,
    summary="Import schools from CSV or XLSX (学校信息表)",
    responses=problem_responses(*IMPORT_ERRORS),
    openapi_extra=SHEET_BODY,
)
async def import_schools(
    request: Request,
    session: SessionDep,
    principal: Writer,
    content_type: Annotated[str, Header()] = "",
) -> SheetImportRead:
    """Columns 学校标识码, 学校名称, 学段 (小学、初中、九年一贯制、完全中学), 所在区县代码, 经度,
    纬度, 规划学位数, and the optional 办学类型, 城乡分类代码, 统计用区划代码, 办学性质 (each the
    national code or its Chinese label; a blank cell keeps the registry's value; a type that
    contradicts the 学段 or a 统计用区划代码 outside the county is named as the row's error).
    A new code registers the school (`enrollment.school.registered`), a known
    one with other values updates it (`enrollment.school.updated`), an equal row changes
    nothing — importing a sheet twice registers nothing twice. One bad row imports nothing;
    every bad cell is reported as `rows[<sheet row>].<column>`."""
    record = await school_sheet.import_schools(
        session, principal, content=await request.body(), media_type=media_type_of(content_type)
    )
    return _read(record)


@router.get(
    "/v1/school-exports",
    summary="Export schools as XLSX or CSV (the import's columns)",
    response_class=Response,
    responses=SHEET_RESPONSES,
)
async def export_schools(
    session: SessionDep,
    principal: Reader,
    county_code: CountyCode | None = None,
    format: ExportFormat = "xlsx",
) -> Response:
    if county_code:
        principal.require_jurisdiction(county_code, field="query.county_code")
    schools = await SchoolRepository(session).every(
        within=principal.jurisdiction, county_code=county_code
    )
    rows = school_sheet.export_rows(schools)
    return _sheet(school_sheet.COLUMNS, rows, "学校信息", f"schools-{county_code or 'all'}", format)


# ---- zones' school lists ------------------------------------------------------------------------


@router.post(
    "/v1/zone-school-list-imports",
    status_code=201,
    summary="Give the zones of a zone map new school lists from a sheet (片区对口学校)",
    responses={
        200: {"model": SheetImportRead, "description": "the sheet changed nothing"},
        **problem_responses(*IMPORT_ERRORS, NotFound, Conflict),
    },
    openapi_extra=SHEET_BODY,
)
async def import_zone_school_lists(
    request: Request,
    session: SessionDep,
    principal: Writer,
    response: Response,
    county_code: CountyCode,
    level: Literal["primary", "junior"],
    year: Year,
    effective_from: Annotated[
        date | None, Query(description="when the new version takes effect (default today)")
    ] = None,
    content_type: Annotated[str, Header()] = "",
) -> SheetImportRead:
    """Columns 片区代码, 片区名称 (optional), 对口学校 (codes joined by `|`); one row per zone of
    the newest map of the county, level and year. The boundaries stay; the lists are stored
    as the next version (201) and announced as `enrollment.zone_map.published`. A sheet equal to
    the newest version stores nothing (200, `detail.published` false)."""
    outcome = await zone_sheet.import_school_lists(
        session,
        principal,
        county_code=county_code,
        level=level,
        year=year,
        effective_from=effective_from or china_today(),
        content=await request.body(),
        media_type=media_type_of(content_type),
    )
    if not outcome.published:
        response.status_code = 200
    response.headers["Location"] = f"/v1/zone-maps/{outcome.zone_map.id}"
    return _read(outcome.record)


@router.get(
    "/v1/zone-maps/{map_id}/school-lists",
    summary="A zone map version's school lists as XLSX or CSV (no geometry)",
    response_class=Response,
    responses={**SHEET_RESPONSES, **problem_responses(NotFound)},
)
async def export_zone_school_lists(
    map_id: UUID, session: SessionDep, principal: Reader, format: ExportFormat = "xlsx"
) -> Response:
    zone_map = await ZoneMapRepository(session).get(map_id, within=principal.jurisdiction)
    rows = zone_sheet.export_rows(await zoning.stored_zones(session, zone_map))
    name = f"zones-{zone_map.county_code}-{zone_map.level}-{zone_map.year}-v{zone_map.version}"
    return _sheet(zone_sheet.COLUMNS, rows, "片区对口学校", name, format)


# ---- applications -------------------------------------------------------------------------------


@router.post(
    "/v1/application-imports",
    status_code=201,
    summary="Submit a county's applications from CSV or XLSX (入学申请导入)",
    responses={
        200: {"model": SheetImportRead, "description": "the same file was imported before"},
        **problem_responses(*IMPORT_ERRORS, Conflict),
    },
    openapi_extra=SHEET_BODY,
)
async def import_applications(
    audit: Imported,
    request: Request,
    session: SessionDep,
    principal: Writer,
    response: Response,
    county_code: CountyCode,
    year: Year,
    content_type: Annotated[str, Header()] = "",
) -> SheetImportRead:
    """Each row is checked exactly like `POST /v1/applications` (citizen ID check digit and
    birth date, the optional 学籍号, age rule, zones in force and choices, one application per
    child and year) and emits `enrollment.application.submitted`. Every problem is reported as
    `rows[<sheet row>].<column>`; one bad row imports nothing; a sheet whose only problem is
    children who already applied is a 409. The same file again answers its first import (200,
    `replayed`) and writes nothing. Columns: see `GET /v1/import-templates/applications`."""
    outcome = await application_sheet.import_applications(
        session,
        principal,
        county_code=county_code,
        year=year,
        content=await request.body(),
        media_type=media_type_of(content_type),
        secret=request.app.state.settings.pseudonym_key.get_secret_value().encode(),
        today=china_today(),
    )
    audit.touched(
        ids=[outcome.record.id],
        count=outcome.record.rows,
        classes=classes_shown(True),
        county_code=county_code,
    )
    if outcome.replayed:
        response.status_code = 200
    return _read(outcome.record, replayed=outcome.replayed)


@router.get(
    "/v1/application-exports",
    summary="Export a county's applications as XLSX or CSV (the import's columns)",
    response_class=Response,
    responses=SHEET_RESPONSES,
)
async def export_applications(
    audit: Exported,
    session: SessionDep,
    principal: Writer,  # the sheet holds citizen IDs: the bureau's writers only (masked
    # without enrollment:pii; with it, the sheet re-imports as is)
    county_code: CountyCode,
    year: Year,
    grade: Annotated[Literal[1, 7] | None, Query()] = None,
    format: ExportFormat = "xlsx",
) -> Response:
    principal.require_jurisdiction(county_code, field="query.county_code")
    applications = await ApplicationRepository(session).every(
        county_code=county_code, year=year, grade=grade
    )
    audit.touched(
        count=len(applications),
        classes=classes_shown(reads.shows_pii(principal)),
        county_code=county_code,
    )
    rows = application_sheet.export_rows(applications)
    if not reads.shows_pii(principal):
        rows = reads.masked_sheet_rows([c.field for c in application_sheet.COLUMNS], rows)
    return _sheet(
        application_sheet.COLUMNS, rows, "入学申请", f"applications-{county_code}-{year}", format
    )
