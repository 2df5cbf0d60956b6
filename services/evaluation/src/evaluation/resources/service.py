"""Resource data use-cases: replace a county-year's data set from JSON, CSV or XLSX."""

import hashlib
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.assessment.schemas import ResourceSectionIn
from evaluation.resources.models import ResourceImport, SchoolResource
from evaluation.resources.tables import read_table
from evaluation.teachers.repository import TeacherStatsRepository
from evaluation.teachers.rules import Overlaid, overlay
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import (
    FieldError,
    NotFound,
    RuleViolated,
    validation_field_errors,
)
from junheng_kit.tabular import SheetRecord, reject_rows, row_errors

SECTION = TypeAdapter(ResourceSectionIn)
FIELDS = list(ResourceSectionIn.model_fields)


def _duplicates(
    sections: list[ResourceSectionIn], label: str, numbers: list[int] | None = None
) -> list[FieldError]:
    """Sections listed twice, named `label[n]` by list index or by the given (sheet row) numbers."""
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for index, section in zip(numbers or range(len(sections)), sections, strict=True):
        key = (section.school_code, section.level)
        if key in seen:
            errors.append(
                FieldError(
                    f"{label}[{index}].school_code",
                    "section_unique",
                    t(
                        f"{section.school_code} {section.level} 与 {label}[{seen[key]}] 重复",
                        f"{section.school_code} {section.level} is also {label}[{seen[key]}]",
                    ),
                )
            )
        seen.setdefault(key, index)
    return errors


def parse_rows(records: list[SheetRecord]) -> list[ResourceSectionIn]:
    """Validate every row; report every bad cell as `rows[<sheet row>].<field>` at once."""
    sections: list[ResourceSectionIn] = []
    errors: list[FieldError] = []
    for record in records:
        try:
            sections.append(SECTION.validate_python(record.values))
        except ValidationError as exc:
            errors += row_errors(record.row, validation_field_errors(exc.errors()))
    reject_rows(errors)
    duplicates = _duplicates(sections, "rows", [r.row for r in records])
    if duplicates:
        raise RuleViolated(
            t(
                "同一学校学段被列出两次，未导入任何内容",
                "a school section is listed twice; nothing was imported",
            ),
            *duplicates,
        )
    return sections


async def replace_resources(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    sections: list[ResourceSectionIn],
    source: str,
    content: bytes,
) -> ResourceImport:
    """Replace the county's data set for the year; the import record keeps its provenance."""
    principal.require_jurisdiction(county_code, field="county_code")
    duplicates = _duplicates(sections, "schools")
    if duplicates:
        raise RuleViolated(
            t("同一学校学段被列出两次", "a school section is listed twice"), *duplicates
        )
    codes = {s.school_code for s in sections}
    elsewhere = await session.scalar(
        select(SchoolResource.county_code)
        .where(
            SchoolResource.year == year,
            SchoolResource.school_code.in_(codes),
            SchoolResource.county_code != county_code,
        )
        .limit(1)
    )
    if elsewhere is not None:
        raise RuleViolated(
            t(
                "该学校本年度已由另一区县上报",
                "a school is already reported by another county this year",
            ),
            FieldError(
                "schools", "school_in_one_county", t(f"区县 {elsewhere}", f"county {elsewhere}")
            ),
        )
    record = ResourceImport(
        county_code=county_code,
        year=year,
        source=source,
        sections=len(sections),
        content_sha256=hashlib.sha256(content).hexdigest(),
        imported_by=principal.client_id,
    )
    session.add(record)
    await session.flush()
    await session.execute(
        delete(SchoolResource).where(
            SchoolResource.county_code == county_code, SchoolResource.year == year
        )
    )
    await session.execute(
        insert(SchoolResource),
        [
            {**s.model_dump(), "county_code": county_code, "year": year, "import_id": record.id}
            for s in sections
        ],
    )
    return record


async def import_table(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    content: bytes,
    media_type: str,
) -> ResourceImport:
    principal.require_jurisdiction(county_code, field="county_code")
    sections = parse_rows(read_table(content, media_type))
    source = "xlsx" if "spreadsheetml" in media_type else "csv"
    return await replace_resources(
        session,
        principal,
        county_code=county_code,
        year=year,
        sections=sections,
        source=source,
        content=content,
    )


async def stored_sections(
    session: AsyncSession, *, county_code: str, year: int
) -> tuple[ResourceImport, list[ResourceSectionIn]]:
    record = await session.scalar(
        select(ResourceImport)
        .where(ResourceImport.county_code == county_code, ResourceImport.year == year)
        .order_by(ResourceImport.id.desc())
        .limit(1)
    )
    if record is None:
        raise NotFound(
            t(
                f"区县 {county_code} 没有 {year} 年的资源配置数据",
                f"no resource data for county {county_code} in {year}",
            )
        )
    rows = (
        await session.execute(
            select(*[getattr(SchoolResource, f) for f in FIELDS])
            .where(SchoolResource.county_code == county_code, SchoolResource.year == year)
            .order_by(SchoolResource.school_code, SchoolResource.level)
        )
    ).all()
    return record, [
        ResourceSectionIn.model_validate(dict(zip(FIELDS, row, strict=True))) for row in rows
    ]


@dataclass(frozen=True, slots=True)
class StoredData:
    """A county-year's stored data as an assessment uses it, and where each number came from."""

    record: ResourceImport  # the upload in force: every number staffing did not give
    uploaded: list[ResourceSectionIn]
    in_use: Overlaid  # indicators 1–3's counts from staffing's events where it has them


async def stored_data_in_use(session: AsyncSession, *, county_code: str, year: int) -> StoredData:
    """The upload in force with the teacher counts of the staffing read model laid over it."""
    record, uploaded = await stored_sections(session, county_code=county_code, year=year)
    codes = select(SchoolResource.school_code).where(
        SchoolResource.county_code == county_code, SchoolResource.year == year
    )
    counts = await TeacherStatsRepository(session).counts_for(codes)
    return StoredData(record, uploaded, overlay(uploaded, counts, year=year))
