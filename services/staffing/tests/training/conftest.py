from datetime import date, timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.testing.schools import seed_school_copies
from staffing.schools.models import School
from staffing.teachers.stats import registry_today

DONGSHENG = "150602"
PRIMARY = "2115060301"
NINE_YEAR = "2115060302"
ANSHAN = "2121030301"  # outside the Dongsheng token


def citizen_id(birth: str, sequence: int, area: str = "150602") -> str:
    body = f"{area}{birth}{sequence:03d}"
    return body + citizen_id_check_character(body)


def days_ago(days: int) -> str:
    """A date relative to the registry's today, ISO: counts are taken as of today."""
    return (registry_today() - timedelta(days=days)).isoformat()


def years_ago(years: int, days: int = 0) -> str:
    today = registry_today()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = date(today.year - years, 2, 28)
    return (day - timedelta(days=days)).isoformat()


def teacher(sequence: int, **changes: Any) -> dict[str, Any]:
    body = {
        "citizen_id": citizen_id("19850312", sequence),
        "name": f"教师{sequence}",
        "birth_date": "1985-03-12",
        "school_code": PRIMARY,
        "section": "primary",
        "school_joined_on": "2015-09-01",
        "post_type": "full_time",
        "subjects": ["语文"],
        "degree": "本科",
        "staffing_status": "在编",
        "hire_date": "2008-09-01",
    }
    body.update(changes)
    return body


def training(**changes: Any) -> dict[str, Any]:
    body = {
        "programme": "国培计划乡村教师能力提升培训",
        "provider": "内蒙古师范大学",
        "started_on": None,
        "completed_on": days_ago(30),
        "hours": "72",
        "certificate_reference": None,
    }
    body.update(changes)
    return body


async def register(
    client: AsyncClient, headers: dict[str, Any], sequence: int, **changes: Any
) -> str:
    response = await client.post("/v1/teachers", json=teacher(sequence, **changes), headers=headers)
    assert response.status_code == 201, response.text
    teacher_id: str = response.json()["id"]
    return teacher_id


async def seed_schools(session: AsyncSession) -> None:
    await seed_school_copies(
        session,
        School,
        [
            (PRIMARY, ["primary"], DONGSHENG),
            (NINE_YEAR, ["nine_year"], DONGSHENG),
            (ANSHAN, ["primary"], "210302"),
        ],
    )


@pytest.fixture
async def schools(session: AsyncSession) -> None:
    await seed_schools(session)
