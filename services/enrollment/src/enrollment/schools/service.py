"""School registry use-cases: change the registry and stage the event in one transaction; the
county's 民办 share of pupils and its cap."""

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.schools import rules
from enrollment.schools.models import SCHOOL_CODE_UNIQUE, PrivateShareCap, School
from enrollment.schools.repository import PrivateShareCapRepository, SchoolRepository
from enrollment.schools.schemas import (
    PrivateShareCapCreate,
    PrivateShareCapRead,
    PrivateShareRead,
    PupilCounts,
    SchoolCreate,
    SchoolUpdate,
)
from enrollment.seats.policy import school_year_start
from junheng_contracts.enrollment import SchoolData, SchoolRegistered, SchoolUpdated
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.i18n import t
from junheng_kit.messaging import add_event
from junheng_kit.problems import Conflict, RuleViolated
from junheng_kit.school_codes import registry_errors
from junheng_kit.timeutil import utcnow

CODES = ("school_type", "urban_rural_code", "division_code", "ownership")


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
        school_type=school.school_type,
        urban_rural_code=school.urban_rural_code,
        division_code=school.division_code,
        ownership=school.ownership,  # public | private, by the schema
    )


def _require_consistent(
    *, school_type: str | None, levels: list[str], county_code: str, division_code: str | None
) -> None:
    """办学类型 against 学段, 统计用区划代码 under the county: 422 naming each contradiction."""
    errors = registry_errors(
        school_type=school_type,
        levels=levels,
        county_code=county_code,
        division_code=division_code,
    )
    if errors:
        raise RuleViolated(
            t("学校的代码相互矛盾", "the school's codes contradict each other"), *errors
        )


async def register_school(
    session: AsyncSession, principal: Principal, *, request: SchoolCreate
) -> School:
    """学校登记: enter a school in the registry and announce it."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    _require_consistent(
        school_type=request.school_type,
        levels=list(request.levels),
        county_code=request.county_code,
        division_code=request.division_code,
    )
    repository = SchoolRepository(session)
    if await repository.find(request.school_code) is not None:
        raise Conflict(
            t(
                f"学校 {request.school_code} 已登记",
                f"school {request.school_code} is already registered",
            ),
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
        **{code: getattr(request, code) for code in CODES},
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
    require_version(t(f"学校 {school_code}", f"school {school_code}"), school.version, if_match)
    changes = request.model_dump(exclude_unset=True)
    if "county_code" in changes:
        principal.require_jurisdiction(changes["county_code"], field="county_code")
    if not changes:
        return school
    _require_consistent(
        school_type=changes.get("school_type", school.school_type),
        levels=list(changes.get("levels", school.levels)),
        county_code=changes.get("county_code", school.county_code),
        division_code=changes.get("division_code", school.division_code),
    )
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


# ---- 民办在校生占比 ----------------------------------------------------------------------------

SHARE_BASIS = (
    "录取确认: admissions confirmed in enrollment for the school year's entry grades (grade 1 and "
    "grade 7), counted by the admitting school's 办学性质 in the registry. This is the year's "
    "intake, not the 在校生 of every grade that seed 000's share speaks of: those are counted by "
    "the annual education statistics (教育事业统计), which enrollment does not hold."
)
SHARE_NOTES: dict[rules.CapStatus, str] = {
    "no_pupils": "本学年尚无确认录取 / no admission is confirmed for this school year",
    "no_cap": "本县未设定民办在校生占比上限 / the county has set no cap on the private share",
    "within": "民办占比未超过上限 / the private share does not exceed the cap",
    "over": "民办占比超过上限 / the private share exceeds the cap",
    "undetermined": (
        "部分学校未登记办学性质，无法判定是否超过上限 / schools without a recorded 办学性质 decide "
        "whether the private share exceeds the cap"
    ),
}


async def set_private_share_cap(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    request: PrivateShareCapCreate,
) -> PrivateShareCap:
    """民办在校生占比上限: append the county's cap from its own document (seed 000 asks for the
    control, no source gives the value)."""
    principal.require_jurisdiction(county_code, field="county_code")
    cap = PrivateShareCap(
        county_code=county_code,
        cap=str(request.cap),
        effective_from=request.effective_from,
        effective_to=request.effective_to,
        source=request.source,
        set_by=principal.client_id,
    )
    PrivateShareCapRepository(session).add(cap)
    await session.flush()
    return cap


async def private_share_caps(
    session: AsyncSession, principal: Principal, *, county_code: str
) -> list[PrivateShareCap]:
    principal.require_jurisdiction(county_code, field="county_code")
    return await PrivateShareCapRepository(session).every(county_code)


def cap_read(cap: PrivateShareCap) -> PrivateShareCapRead:
    return PrivateShareCapRead.model_validate(
        {**{c: getattr(cap, c) for c in PrivateShareCapRead.model_fields}, "cap": Decimal(cap.cap)}
    )


def _counts(count: rules.PupilCount) -> PupilCounts:
    return PupilCounts(
        public=count.public, private=count.private, unrecorded=count.unrecorded, total=count.total
    )


async def private_share(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int
) -> PrivateShareRead:
    """县域民办义务教育在校生占比: the county's confirmed admissions of the year by their school's
    办学性质, against the cap in force on 1 September of the year (if the county set one)."""
    principal.require_jurisdiction(county_code, field="county_code")
    rows = await SchoolRepository(session).admissions_by_ownership(
        county_code=county_code, year=year
    )
    total = rules.PupilCount()
    by_level = {"primary": rules.PupilCount(), "junior": rules.PupilCount()}
    for level, ownership, pupils in rows:
        total = total.plus(ownership, pupils)
        by_level[level] = by_level.get(level, rules.PupilCount()).plus(ownership, pupils)
    cap = await PrivateShareCapRepository(session).in_force(county_code, on=school_year_start(year))
    outcome = rules.private_share(total, Decimal(cap.cap) if cap is not None else None)
    return PrivateShareRead(
        county_code=county_code,
        year=year,
        basis=SHARE_BASIS,
        pupils=_counts(total),
        by_level={level: _counts(count) for level, count in by_level.items()},
        private_share=rules.as_decimal(outcome.share),
        private_share_max=rules.as_decimal(outcome.share_max),
        cap=cap_read(cap) if cap is not None else None,
        cap_status=outcome.status,
        note=SHARE_NOTES[outcome.status],
    )
