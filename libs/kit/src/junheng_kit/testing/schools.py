"""Seeding a service's copy of the school directory in tests, as the enrollment events would
leave it (junheng_kit.school_directory.apply_school_state), without NATS."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.enrollment import SchoolData
from junheng_kit.school_directory import apply_school_state

# (school code, levels, county code) or (…, longitude)
SeedSchool = tuple[str, Sequence[str], str] | tuple[str, Sequence[str], str, float]


async def seed_school_copies(
    session: AsyncSession, model: type[Any], schools: Iterable[SeedSchool]
) -> None:
    """Each school as version 1 of its copy (named 学校<code>, 1,000 planned places, at latitude
    39.8 and the given longitude, else 109.9), committed."""
    for code, levels, county, *longitude in schools:
        await apply_school_state(
            session,
            model,
            SchoolData(
                school_code=code,
                name=f"学校{code}",
                levels=list(levels),
                county_code=county,
                longitude=longitude[0] if longitude else 109.9,
                latitude=39.8,
                planned_capacity=1000,
                version=1,
            ),
            "seed",
        )
    await session.commit()
