"""Class-data use-cases: replace a county-year's classes (JSON, CSV, XLSX) or one school's, check
them against the roll, announce them, and show them with the 班额 measured on them."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.classes import repository, rules
from evaluation.classes.models import ClassImport, SchoolClass
from evaluation.classes.schemas import ClassIn
from evaluation.classes.tables import read_table
from evaluation.events import VerdictInputChanged
from evaluation.resources.models import SchoolResource
from evaluation.verdict.service import catalogue_for_year, class_size_caps
from junheng_contracts.evaluation import (
    ClassSizesChanged,
    ClassSizesChangedData,
    SectionClassSizes,
)
from junheng_kit import reactions
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.messaging import add_event
from junheng_kit.problems import FieldError, NotFound, RuleViolated, validation_field_errors
from junheng_kit.tabular import SheetRecord, reject_rows, row_errors

CLASS = TypeAdapter(ClassIn)


@dataclass(frozen=True, slots=True)
class Roll:
    """A section of the year's resource data: 在校生数, and whether it is special education."""

    students: int
    special_education: bool


def parse_rows(records: list[SheetRecord]) -> tuple[list[ClassIn], list[int]]:
    """Validate every row; report every bad cell as `rows[<sheet row>].<field>` at once."""
    classes: list[ClassIn] = []
    errors: list[FieldError] = []
    for record in records:
        try:
            classes.append(CLASS.validate_python(record.values))
        except ValidationError as exc:
            errors += row_errors(record.row, validation_field_errors(exc.errors()))
    reject_rows(errors)
    return classes, [r.row for r in records]


def check_classes(
    classes: Sequence[ClassIn],
    roll: dict[tuple[str, str], Roll],
    label: str,
    numbers: Sequence[int],
) -> list[FieldError]:
    """Every rule a class set must meet, named `label[n]` (list index or sheet row): each class
    once, its grade in its level, its section in the year's resource data, and no section with
    more pupils in its classes than on its roll (在校生数)."""
    errors: list[FieldError] = []
    seen: dict[tuple[str, str, int, str], int] = {}
    pupils: dict[tuple[str, str], int] = defaultdict(int)
    first: dict[tuple[str, str], int] = {}
    for n, c in zip(numbers, classes, strict=True):
        key = (c.school_code, c.level, c.grade, c.name)
        if key in seen:
            errors.append(
                FieldError(
                    f"{label}[{n}].name",
                    "class_unique",
                    t(
                        f"同一班级重复：{c.school_code} {c.level} {c.grade} 年级 {c.name} 与 "
                        f"{label}[{seen[key]}] 重复",
                        f"{c.school_code} {c.level} grade {c.grade} {c.name} is also "
                        f"{label}[{seen[key]}]",
                    ),
                )
            )
        seen.setdefault(key, n)
        if not rules.grade_fits(c.level, c.grade):
            errors.append(
                FieldError(
                    f"{label}[{n}].grade",
                    "grade_in_level",
                    t(
                        f"年级不属于该学段：{c.level} 的年级为 "
                        f"{rules.GRADES[c.level].start}–{rules.GRADES[c.level].stop - 1}",
                        f"{c.level} grades are "
                        f"{rules.GRADES[c.level].start}–{rules.GRADES[c.level].stop - 1}",
                    ),
                )
            )
        pupils[(c.school_code, c.level)] += c.pupils
        first.setdefault((c.school_code, c.level), n)
    for section, total in pupils.items():
        n = first[section]
        on_roll = roll.get(section)
        if on_roll is None:
            errors.append(
                FieldError(
                    f"{label}[{n}].school_code",
                    "section_in_roll",
                    t(
                        f"该学段不在本年度资源配置数据中：{section[0]} "
                        f"{section[1]}，请先存储其在校生数",
                        f"{section[0]} {section[1]} is not in the county's resource data for the "
                        "year; store its 在校生数 (pupils on roll) first",
                    ),
                )
            )
        elif total > on_roll.students:
            errors.append(
                FieldError(
                    f"{label}[{n}].pupils",
                    "classes_within_roll",
                    t(
                        f"班级学生数合计超过在校生数：{section[0]} {section[1]} 的班级共 {total} "
                        f"人，在校生数 {on_roll.students}",
                        f"{section[0]} {section[1]}: the classes hold {total} pupils, the roll "
                        f"(在校生数) {on_roll.students}",
                    ),
                )
            )
    return errors


async def _roll(
    session: AsyncSession, county_code: str, year: int, school_code: str | None
) -> dict[tuple[str, str], Roll]:
    query = select(
        SchoolResource.school_code,
        SchoolResource.level,
        SchoolResource.students,
        SchoolResource.special_education,
    ).where(SchoolResource.county_code == county_code, SchoolResource.year == year)
    if school_code is not None:
        query = query.where(SchoolResource.school_code == school_code)
    return {(s, lv): Roll(n, special) for s, lv, n, special in await session.execute(query)}


async def replace_classes(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    classes: Sequence[ClassIn],
    source: str,
    content: bytes,
    school_code: str | None = None,
    numbers: Sequence[int] | None = None,
) -> ClassImport:
    """Replace the county's classes for the year (or one school's): every rule checked before
    anything is written; the import is recorded with the county-year's next version, the
    classes announced (`evaluation.class_sizes.changed`) and the verdict re-judged."""
    principal.require_jurisdiction(county_code, field="county_code")
    catalogue = catalogue_for_year(year)
    label = "classes" if numbers is None else "rows"
    roll = await _roll(session, county_code, year, school_code)
    errors = check_classes(classes, roll, label, numbers or range(len(classes)))
    if errors:
        raise RuleViolated(
            t(
                "班级数据违反规则，未存储任何内容",
                "the class data breaks a rule; nothing was stored",
            ),
            *errors[:1000],
        )
    version = (
        await session.scalar(
            select(func.max(ClassImport.version)).where(
                ClassImport.county_code == county_code, ClassImport.year == year
            )
        )
        or 0
    ) + 1
    record = ClassImport(
        county_code=county_code,
        year=year,
        version=version,
        source=source,
        school_code=school_code,
        classes=len(classes),
        content_sha256=hashlib.sha256(content).hexdigest(),
        imported_by=principal.client_id,
    )
    session.add(record)
    await session.flush()
    stale = delete(SchoolClass).where(
        SchoolClass.county_code == county_code, SchoolClass.year == year
    )
    if school_code is not None:
        stale = stale.where(SchoolClass.school_code == school_code)
    await session.execute(stale)
    await session.execute(
        insert(SchoolClass),
        [
            {**c.model_dump(), "county_code": county_code, "year": year, "import_id": record.id}
            for c in classes
        ],
    )
    measure = await repository.measure_classes(
        session, class_size_caps(catalogue), county_code, year
    )
    add_event(
        session,
        ClassSizesChanged.of(
            subject=f"{county_code}/{year}",
            jurisdiction=county_code,
            data=ClassSizesChangedData(
                county_code=county_code,
                year=year,
                catalogue_version=catalogue.version,
                sections=[
                    SectionClassSizes(
                        school_code=s.school_code,
                        level=s.level,
                        classes=s.classes,
                        pupils=s.pupils,
                        largest_class=s.largest_class,
                        over_cap_classes=len(s.over_cap),
                        large_classes=s.large_classes,
                        extra_large_classes=s.extra_large_classes,
                        special_education=s.special_education,
                    )
                    for s in measure.sections
                ],
                version=version,
            ),
        ),
    )
    reactions.record(session, VerdictInputChanged(county_code, year))
    return record


async def import_table(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    content: bytes,
    media_type: str,
) -> ClassImport:
    principal.require_jurisdiction(county_code, field="county_code")
    classes, numbers = parse_rows(read_table(content, media_type))
    return await replace_classes(
        session,
        principal,
        county_code=county_code,
        year=year,
        classes=classes,
        source="xlsx" if "spreadsheetml" in media_type else "csv",
        content=content,
        numbers=numbers,
    )


async def require_import(session: AsyncSession, county_code: str, year: int) -> ClassImport:
    record = await repository.latest_import(session, county_code, year)
    if record is None:
        raise NotFound(
            t(
                f"区县 {county_code} 没有 {year} 年的班级数据",
                f"no class data for county {county_code} in {year}",
            )
        )
    return record
