from typing import Annotated

from fastapi import APIRouter, Depends

from evaluation.teachers.repository import TeacherStatsRepository
from evaluation.teachers.rules import staffing_source
from evaluation.teachers.schemas import (
    SectionTeacherStatsRead,
    TeacherStatsRead,
    TrainingRequirementRead,
)
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import SchoolCode
from junheng_kit.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/schools", tags=["schools"])

Reader = Annotated[Principal, Depends(require_scopes("evaluation:read"))]


@router.get(
    "/{school_code}/teacher-stats",
    summary="A school's teacher counts (from staffing's events)",
    responses=problem_responses(NotFound),
)
async def get_teacher_stats(
    school_code: SchoolCode, session: SessionDep, principal: Reader
) -> TeacherStatsRead:
    """学校师资统计 as the newest `staffing.school_teacher_stats.changed` gave them; assessments
    from stored data use them for indicators 1–3 in the school year of `as_of`, and the verdict
    measures 教师5年360学时 (政府保障程度第9项) on the training counts when every section of the
    county-year has them."""
    school = await TeacherStatsRepository(session).get(school_code, within=principal.jurisdiction)
    return TeacherStatsRead(
        school_code=school.school_code,
        county_code=school.county_code,
        as_of=school.as_of,
        version=school.version,
        source_event_id=school.source_event_id,
        event_time=school.event_time,
        synced_at=school.synced_at,
        source=staffing_source(school.source_event_id, school.version, school.event_time),
        sections=[
            SectionTeacherStatsRead.model_validate(section, from_attributes=True)
            for section in school.sections
        ],
        training_requirement=None
        if school.training_required_hours is None
        or school.training_window_years is None
        or school.training_window_from is None
        or school.training_source is None
        else TrainingRequirementRead(
            required_hours=school.training_required_hours,
            window_years=school.training_window_years,
            window_from=school.training_window_from,
            source=school.training_source,
        ),
    )
