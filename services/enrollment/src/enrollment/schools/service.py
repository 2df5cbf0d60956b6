"""School registry use-cases: change the registry and stage the event in one transaction."""

from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.schools.models import SCHOOL_CODE_UNIQUE, School
from enrollment.schools.repository import SchoolRepository
from enrollment.schools.schemas import SchoolCreate, SchoolUpdate
from junheng_contracts.enrollment import SchoolData, SchoolRegistered, SchoolUpdated
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.messaging import add_event
from junheng_kit.problems import Conflict
from junheng_kit.timeutil import utcnow


def _event_data(school: School) -> SchoolData:
    return SchoolData(
        school_code=school.school_code,
        name=school.name,
        levels=school.levels,
        county_code=school.county_code,
        longitude=school.longitude,
        latitude=school.latitude,
        planned_capacity=school.planned_capacity,
        version=school.version,
    )


async def register_school(
    session: AsyncSession, principal: Principal, *, request: SchoolCreate
) -> School:
    """学校登记: enter a school in the registry and announce it."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    repository = SchoolRepository(session)
    if await repository.find(request.school_code) is not None:
        raise Conflict(
            f"school {request.school_code} is already registered",
            SCHOOL_CODE_UNIQUE,
        )
    school = School(
        school_code=request.school_code,
        name=request.name,
        levels=list(request.levels),
        county_code=request.county_code,
        longitude=request.location.longitude,
        latitude=request.location.latitude,
        planned_capacity=request.planned_capacity,
    )
    repository.add(school)
    await session.flush()  # version assigned, constraints checked
    add_event(
        session,
        SchoolRegistered.of(
            subject=school.school_code, jurisdiction=school.county_code, data=_event_data(school)
        ),
    )
    return school


async def update_school(
    session: AsyncSession,
    principal: Principal,
    *,
    school_code: str,
    request: SchoolUpdate,
    if_match: int | None,
) -> School:
    """学校信息变更: change a registered school; `If-Match` guards against lost updates."""
    school = await SchoolRepository(session).get(school_code, within=principal.jurisdiction)
    require_version(f"school {school_code}", school.version, if_match)
    changes = request.model_dump(exclude_unset=True)
    if "county_code" in changes:
        principal.require_jurisdiction(changes["county_code"], field="county_code")
    if not changes:
        return school
    for key, value in changes.items():
        if key == "location":
            school.longitude, school.latitude = value["longitude"], value["latitude"]
        elif key == "levels":
            school.levels = list(value)
        else:
            setattr(school, key, value)
    school.updated_at = utcnow()
    await session.flush()  # version incremented by the mapper
    add_event(
        session,
        SchoolUpdated.of(
            subject=school.school_code, jurisdiction=school.county_code, data=_event_data(school)
        ),
    )
    return school
