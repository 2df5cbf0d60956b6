from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.testing.schools import seed_school_copies
from staffing.schools.models import School
from staffing.teachers.codes import Gender, PostType, Section, StaffingStatus, TeacherStatus
from staffing.teachers.models import Teacher

DONGSHENG = "150602"
URBAN = "2115060201"  # 100 pupils, urban
RURAL_1 = "2115060202"  # 100 pupils, rural
RURAL_2 = "2115060203"  # 200 pupils, rural
ANSHAN = "2121030201"


async def seed_schools(session: AsyncSession) -> None:
    await seed_school_copies(
        session,
        School,
        [
            (URBAN, ["primary"], DONGSHENG, 109.98),
            (RURAL_1, ["primary"], DONGSHENG, 110.05),
            (RURAL_2, ["primary"], DONGSHENG, 110.10),
            (ANSHAN, ["primary"], "210302", 123.0),
        ],
    )


def teacher(
    number: int,
    school_code: str,
    *,
    joined: date = date(2015, 9, 1),
    degree: str = "bachelor",
    subject: str = "chinese",
    backbone: str | None = None,
    title: str | None = "first",
    status: StaffingStatus = StaffingStatus.IN_QUOTA,
) -> Teacher:
    body = f"15060219850301{number:03d}"
    return Teacher(
        citizen_id=body + citizen_id_check_character(body),
        name=f"教师{number}",
        gender=Gender.MALE,
        birth_date=date(1985, 3, 1),
        school_code=school_code,
        county_code=DONGSHENG,
        section=Section.PRIMARY,
        school_joined_on=joined,
        post_type=PostType.FULL_TIME,
        main_subject=subject,
        subjects=[subject],
        title=title,
        degree=degree,
        backbone_level=backbone,
        staffing_status=status,
        hire_date=date(2008, 9, 1),
        status=TeacherStatus.ACTIVE,
    )


@pytest.fixture
async def schools(session: AsyncSession) -> None:
    await seed_schools(session)
