from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from evaluation.classes import repository, service
from evaluation.classes.models import ClassImport
from evaluation.classes.rules import BANDS
from evaluation.classes.schemas import (
    ClassesPut,
    ClassImportRead,
    ClassIn,
    ClassSizesRead,
    LevelTotalsRead,
    SchoolClassesPut,
    SectionClassesRead,
)
from evaluation.classes.tables import XLSX, template_xlsx
from evaluation.verdict.service import catalogue_for_year, class_size_caps
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import CountyCode, SchoolCode
from junheng_kit.problems import (
    BadRequest,
    NotFound,
    RuleViolated,
    UnsupportedMediaType,
    problem_responses,
)
from junheng_kit.tabular import SHEET_BODY, media_type_of

router = APIRouter(prefix="/v1/school-classes", tags=["school-classes"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]
Writer = Annotated[Principal, Depends(require_scopes("evaluation:write"))]
Year = Annotated[int, Path(ge=2000, le=2100, description="school year by its start year")]


def _read(record: ClassImport) -> ClassImportRead:
    return ClassImportRead.model_validate(record, from_attributes=True)


@router.get(
    "/template.xlsx",
    summary="The class sheet template (Chinese column titles)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
async def class_template(_: Reader) -> Response:
    return Response(
        template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="school-classes-template.xlsx"'},
    )


@router.put(
    "/{county_code}/{year}",
    summary="Replace a county's classes for a year (班级学生数)",
    responses=problem_responses(RuleViolated),
)
async def put_classes(
    county_code: CountyCode, year: Year, body: ClassesPut, session: SessionDep, principal: Writer
) -> ClassImportRead:
    """Every class of every grade of the county's sections, replacing the stored set. Each
    section must be in the year's resource data, and its classes may not hold more pupils than
    its roll (在校生数). Announced as `evaluation.class_sizes.changed`; the county verdict judges
    班额 (government-assurance item 5) on these classes."""
    record = await service.replace_classes(
        session,
        principal,
        county_code=county_code,
        year=year,
        classes=body.classes,
        source="api",
        content=body.model_dump_json().encode(),
    )
    return _read(record)


@router.put(
    "/{county_code}/{year}/schools/{school_code}",
    summary="Replace one school's classes for a year",
    responses=problem_responses(RuleViolated),
)
async def put_school_classes(
    county_code: CountyCode,
    year: Year,
    school_code: SchoolCode,
    body: SchoolClassesPut,
    session: SessionDep,
    principal: Writer,
) -> ClassImportRead:
    """The school's classes (both sections of a nine-year school), replacing its stored ones;
    the county's other schools keep theirs."""
    classes = [ClassIn(school_code=school_code, **c.model_dump()) for c in body.classes]
    record = await service.replace_classes(
        session,
        principal,
        county_code=county_code,
        year=year,
        classes=classes,
        source="api",
        content=body.model_dump_json().encode(),
        school_code=school_code,
    )
    return _read(record)


@router.post(
    "/{county_code}/{year}/imports",
    status_code=201,
    summary="Import a county's classes from CSV or XLSX",
    responses=problem_responses(BadRequest, RuleViolated, UnsupportedMediaType),
    openapi_extra=SHEET_BODY,
)
async def import_classes(
    county_code: CountyCode,
    year: Year,
    request: Request,
    session: SessionDep,
    principal: Writer,
    content_type: Annotated[str, Header()] = "",
) -> ClassImportRead:
    """One row per class: 学校标识码, 学段 (小学/初中), 年级 (1–9 or 一年级…初三), 班级, 班级学生数.
    Every bad cell is reported as `rows[<sheet row>].<field>`; one bad row imports nothing."""
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
    summary="A county's classes and the 班额 measured on them",
    response_model_exclude_none=True,
    responses=problem_responses(NotFound, RuleViolated),
)
async def get_classes(
    county_code: CountyCode,
    year: Year,
    session: SessionDep,
    principal: Reader,
    include: Annotated[
        Literal["classes"] | None, Query(description="`classes`: list every class as well")
    ] = None,
) -> ClassSizesRead:
    """Per section: classes, the largest, those over the level's cap, 大班额 (≥ 56) and 超大班额
    (≥ 66); per level: the county's totals and shares — as the county verdict judges item 5."""
    principal.require_jurisdiction(county_code, field="county_code")
    catalogue = catalogue_for_year(year)
    record = await service.require_import(session, county_code, year)
    caps = class_size_caps(catalogue)
    measure = await repository.measure_classes(session, caps, county_code, year)
    return ClassSizesRead(
        county_code=county_code,
        year=year,
        catalogue_version=catalogue.version,
        caps=caps,
        bands={"large_class": BANDS.large_from, "extra_large_class": BANDS.extra_large_from},
        bands_source=BANDS.source,
        measured=measure.measured,
        totals=[LevelTotalsRead.of(t) for t in measure.totals],
        sections=[SectionClassesRead.of(s) for s in measure.sections],
        latest_import=_read(record),
        classes=await repository.stored_rows(session, county_code, year)
        if include == "classes"
        else None,
    )
