from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.enrollment import SchoolData
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.school_directory import apply_school_state
from staffing.schools.models import School
from staffing.teachers.codes import Gender, PostType, Section, StaffingStatus, TeacherStatus
from staffing.teachers.models import Teacher

DONGSHENG = "150602"
URBAN = "2115060201"  # 100 pupils, urban
RURAL_1 = "2115060202"  # 100 pupils, rural
RURAL_2 = "2115060203"  # 200 pupils, rural
ANSHAN = "2121030201"


async def seed_schools(session: AsyncSession) -> None:
    for code, county, lon in (
        (URBAN, DONGSHENG, 109.98),
        (RURAL_1, DONGSHENG, 110.05),
        (RURAL_2, DONGSHENG, 110.10),
        (ANSHAN, "210302", 123.0),
    ):
        await apply_school_state(
            session,
            School,
            SchoolData(
                school_code=code,
                name=f"学校{code[-3:]}",
                levels=["primary"],
                county_code=county,
                longitude=lon,
                latitude=39.8,
                planned_capacity=1000,
                version=1,
            ),
            "seed",
        )
    await session.commit()


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
