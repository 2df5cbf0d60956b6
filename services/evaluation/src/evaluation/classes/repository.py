"""Every query of the class data; callers check the jurisdiction first."""

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.classes import rules
from evaluation.classes.models import ClassImport, SchoolClass
from evaluation.classes.schemas import ClassIn
from evaluation.resources.models import SchoolResource

FIELDS = list(ClassIn.model_fields)


async def stored_rows(session: AsyncSession, county_code: str, year: int) -> list[ClassIn]:
    rows = await session.execute(
        select(*[getattr(SchoolClass, f) for f in FIELDS])
        .where(SchoolClass.county_code == county_code, SchoolClass.year == year)
        .order_by(SchoolClass.school_code, SchoolClass.level, SchoolClass.grade, SchoolClass.name)
    )
    return [ClassIn.model_construct(**dict(zip(FIELDS, row, strict=True))) for row in rows]


async def latest_import(session: AsyncSession, county_code: str, year: int) -> ClassImport | None:
    return await session.scalar(
        select(ClassImport)
        .where(ClassImport.county_code == county_code, ClassImport.year == year)
        .order_by(ClassImport.version.desc())
        .limit(1)
    )


async def measure_classes(
    session: AsyncSession, caps: Mapping[str, Decimal], county_code: str, year: int
) -> rules.ClassSizeMeasure:
    """The county-year's stored classes measured against the caps (two queries)."""
    rows = [
        rules.ClassRow(c.school_code, c.level, c.grade, c.name, c.pupils)
        for c in await stored_rows(session, county_code, year)
    ]
    special = frozenset(
        (s, lv)
        for s, lv in await session.execute(
            select(SchoolResource.school_code, SchoolResource.level).where(
                SchoolResource.county_code == county_code,
                SchoolResource.year == year,
                SchoolResource.special_education.is_(True),
            )
        )
    )
    return rules.class_size(rows, caps, special_education=special)
