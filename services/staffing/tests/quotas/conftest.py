from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.testing.schools import seed_school_copies
from staffing.policy.models import PolicyParameter
from staffing.schools.models import School
from staffing.teachers.codes import Gender, PostType, Section, StaffingStatus, TeacherStatus
from staffing.teachers.models import Teacher

DONGSHENG = "150602"
URBAN_PRIMARY = "2115060101"
URBAN_JUNIOR = "3115060102"
VILLAGE = "2115060103"  # a village primary school of 60 pupils
ANSHAN = "2121030101"  # outside the Dongsheng token


async def seed_schools(session: AsyncSession) -> None:
    await seed_school_copies(
        session,
        School,
        [
            (URBAN_PRIMARY, ["primary"], DONGSHENG, 109.98),
            (URBAN_JUNIOR, ["junior"], DONGSHENG, 109.99),
            (VILLAGE, ["primary"], DONGSHENG, 110.10),
            (ANSHAN, ["primary"], "210302", 123.0),
        ],
    )


def staff(
    school_code: str, count: int, status: StaffingStatus, *, start: int = 0, **changes: Any
) -> list[Teacher]:
    """`count` active teachers at the school (valid, distinct citizen IDs)."""
    out = []
    for i in range(start, start + count):
        body = f"150602198503{(i % 28) + 1:02d}{i:03d}"[:17]
        out.append(
            Teacher(
                citizen_id=body + citizen_id_check_character(body),
                name=f"教师{i}",
                gender=Gender.MALE,
                birth_date=date(1985, 3, 1),
                school_code=school_code,
                county_code=DONGSHENG,
                section=Section.PRIMARY,
                school_joined_on=date(2015, 9, 1),
                post_type=PostType.FULL_TIME,
                main_subject="chinese",
                subjects=["chinese"],
                title="first",
                degree="bachelor",
                backbone_level=None,
                staffing_status=status,
                hire_date=date(2008, 9, 1),
                status=TeacherStatus.ACTIVE,
                **changes,
            )
        )
    return out


@pytest.fixture
async def schools(request: pytest.FixtureRequest, session: AsyncSession) -> None:
    """The test county's schools, and Dongsheng's own quota method for the API tests: the 2014
    生师比 alone, from 2020 (a test's own choice, set later, wins). Inner Mongolia's policy (seed
    000) combines 生师比 with 班师比 and leaves how to the county: without a county choice quotas
    answer 422 — the tests marked `province_policy` see exactly that."""
    await seed_schools(session)
    if request.node.get_closest_marker("province_policy"):
        return
    session.add(
        PolicyParameter(
            scope_code=DONGSHENG,
            key="quota_method",
            qualifier="",
            value="ratio_only",
            effective_from=date(2020, 1, 1),
            effective_to=None,
            source="测试：东胜区按生师比核定（test fixture）",
            evidence="OFF",
            set_by="test",
        )
    )
    await session.commit()
