from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.testing.plugin import TokenFactory, auth
from junheng_kit.testing.schools import seed_school_copies
from staffing.schools.models import School

DONGSHENG = "150602"
PRIMARY = "2115060001"  # 东胜区第一小学
NINE_YEAR = "2115060002"  # 九年一贯制
JUNIOR = "3115060003"
OTHER_COUNTY = "2115210001"  # Anshan, outside the test token's jurisdiction


def citizen_id(birth: str, sequence: int, area: str = "150602") -> str:
    """A valid 公民身份号码 for a birth date YYYYMMDD; odd sequence = male."""
    body = f"{area}{birth}{sequence:03d}"
    return body + citizen_id_check_character(body)


def teacher(**changes: Any) -> dict[str, Any]:
    body = {
        "citizen_id": citizen_id("19850312", 21),
        "name": "张老师",
        "birth_date": "1985-03-12",
        "school_code": PRIMARY,
        "section": "primary",
        "school_joined_on": "2015-09-01",
        "post_type": "full_time",
        "subjects": ["语文"],
        "title": "一级",
        "degree": "本科",
        "backbone_level": None,
        "staffing_status": "在编",
        "hire_date": "2008-09-01",
    }
    body.update(changes)
    return body


async def seed_schools(session: AsyncSession) -> None:
    await seed_school_copies(
        session,
        School,
        [
            (PRIMARY, ["primary"], DONGSHENG),
            (NINE_YEAR, ["nine_year"], DONGSHENG),
            (JUNIOR, ["junior"], DONGSHENG),
            (OTHER_COUNTY, ["primary"], "210302"),
        ],
    )


@pytest.fixture
async def schools(session: AsyncSession) -> None:
    await seed_schools(session)


TeacherBody = Callable[..., dict[str, Any]]


@pytest.fixture
def pii_writer(token: TokenFactory) -> dict[str, str]:
    """A bureau client that may also read teachers' citizen IDs in full (`staffing:pii`)."""
    return auth(token("staffing:read", "staffing:write", "staffing:pii"))
