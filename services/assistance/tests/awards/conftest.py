"""Fixtures of the award tests: students inserted straight into the roster table (the roster
API belongs to the identification work; these tests do not wait for it), and the day they run."""

from collections.abc import Awaitable, Callable
from datetime import date
from itertools import count
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.students.models import Student
from junheng_kit.identifiers import citizen_id_from_body, student_key
from junheng_kit.testing.clock import Clock
from junheng_kit.testing.plugin import TEST_PSEUDONYM_KEY

MakeStudent = Callable[..., Awaitable[Student]]
_serial = count(1)
AWARD_TESTS_DAY = "2025-09-30T09:00:00+08:00"


@pytest.fixture(autouse=True)
def award_tests_day(clock: Clock) -> Clock:
    """The award tests record their 公示 lists on 2025-09-30 (China) — a 公示 cannot start
    before the day it is recorded, and theirs start on that day or later — whatever the real
    date; a test moves the clock further where time must pass."""
    clock.at(AWARD_TESTS_DAY)
    return clock


def citizen_id(county: str = "150602", born: date = date(2014, 3, 1)) -> str:
    body = f"{county}{born:%Y%m%d}{next(_serial) % 1000:03d}"
    return citizen_id_from_body(body)


@pytest.fixture
def make_student(session: AsyncSession) -> MakeStudent:
    async def make(
        *,
        name: str = "张三丰",
        county_code: str = "150602",
        school_code: str = "2115060201",
        level: str = "junior",
        boarding: bool = False,
        **extra: Any,
    ) -> Student:
        cid = citizen_id(county_code)
        student = Student(
            citizen_id=cid,
            student_key=student_key(TEST_PSEUDONYM_KEY.encode(), cid),
            name=name,
            gender="male",
            birth_date=date(2014, 3, 1),
            county_code=county_code,
            school_code=school_code,
            level=level,
            grade=7 if level == "junior" else 3,
            boarding=boarding,
            **extra,
        )
        session.add(student)
        await session.flush()
        return student

    return make
