from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response

from evaluation.assessment.schemas import ResourceSectionIn
from evaluation.resources import service
from evaluation.resources.models import ResourceImport
from evaluation.resources.schemas import ResourceSetRead, ResourcesPut, TeacherCountsInUse
from evaluation.resources.tables import XLSX, template_xlsx
from evaluation.teachers.rules import upload_source
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode
from junheng_kit.problems import (
    BadRequest,
    NotFound,
    RuleViolated,
    UnsupportedMediaType,
    problem_responses,
)
from junheng_kit.tabular import SHEET_BODY, media_type_of

router = APIRouter(prefix="/v1/school-resources", tags=["school-resources"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]
Writer = Annotated[Principal, Depends(require_scopes("evaluation:write"))]
Year = Annotated[int, Path(ge=2000, le=2100, description="school year by its start year")]


def _read(
    record: ResourceImport,
    schools: list[ResourceSectionIn] | None = None,
) -> ResourceSetRead:
    return ResourceSetRead(
        county_code=record.county_code,
        year=record.year,
        source=record.source,
        sections=record.sections,
        content_sha256=record.content_sha256,
        imported_by=record.imported_by,
        imported_at=record.imported_at,
        schools=schools,
    )


@router.get(
    "/template.xlsx",
    summary="The XLSX template (Chinese column titles)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
async def resource_template(_: Reader) -> Response:
    return Response(
        template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="school-resources-template.xlsx"'},
    )


@router.put(
    "/{county_code}/{year}",
    summary="Replace a county's resource data for a year",
    response_model_exclude_none=True,
    responses=problem_responses(RuleViolated),
)
async def put_resources(
    county_code: CountyCode, year: Year, body: ResourcesPut, session: SessionDep, principal: Writer
) -> ResourceSetRead:
    """学校资源配置数据: the county's sections for the school year, replacing any earlier set."""
    content = body.model_dump_json().encode()
    record = await service.replace_resources(
        session,
        principal,
        county_code=county_code,
        year=year,
        sections=body.schools,
        source="api",
        content=content,
    )
    return _read(record)


@router.post(
    "/{county_code}/{year}/imports",
    status_code=201,
    summary="Import a county's resource data from CSV or XLSX",
    response_model_exclude_none=True,
    responses=problem_responses(BadRequest, RuleViolated, UnsupportedMediaType),
    openapi_extra=SHEET_BODY,
)
async def import_resources(
    county_code: CountyCode,
    year: Year,
    request: Request,
    session: SessionDep,
    principal: Writer,
    content_type: Annotated[str, Header()] = "",
) -> ResourceSetRead:
    """Send the sheet as the body (`Content-Type: text/csv` or the XLSX type). Every bad cell is
    reported as `rows[<sheet row>].<field>`; one bad row imports nothing."""
    media_type = media_type_of(content_type)
    record = await service.import_table(
        session,
        principal,
        county_code=county_code,
        year=year,
        content=await request.body(),
        media_type=media_type,
    )
    return _read(record)


@router.get(
    "/{county_code}/{year}",
    summary="A county's resource data for a year",
    responses=problem_responses(NotFound),
)
async def get_resources(
    county_code: CountyCode, year: Year, session: SessionDep, principal: Reader
) -> ResourceSetRead:
    """The upload in force, and the teacher counts staffing's events replace in assessments."""
    principal.require_jurisdiction(county_code, field="county_code")
    stored = await service.stored_data_in_use(session, county_code=county_code, year=year)
    answer = _read(stored.record, stored.uploaded)
    answer.upload_source = upload_source(stored.record.content_sha256)
    answer.teacher_counts_from_staffing = [
        TeacherCountsInUse.of(counts) for counts in stored.in_use.from_staffing
    ]
    return answer
