"""入学申请 submissions, many at once: each child checked (公民身份号码, age rule), its zones
and choices resolved (and a grade-7 child's 小学毕业学校), one application per child and year,
then every accepted one recorded with its audit entry and event in a few set-based statements.
Run by the kit's group commit for the route and the fast route (`junheng_kit.group_commit`);
never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import policies, rules
from enrollment.admission.models import (
    APPLICATION_UNIQUE,
    APPLICATION_UNIQUE_DETAIL,
    PriorityPolicy,
)
from enrollment.admission.repository import ApplicationRepository, citizen_id_index
from enrollment.admission.schemas import ApplicationCreate
from enrollment.zoning.rules import Zone
from enrollment.zoning.service import zone_index_in_force
from junheng_contracts.enrollment import ApplicationSubmitted, ApplicationSubmittedData
from junheng_kit.auth import Principal
from junheng_kit.idempotency import Claim
from junheng_kit.identifiers import citizen_id_gender, student_key
from junheng_kit.ids import uuid7
from junheng_kit.messaging.bulk import add_events
from junheng_kit.problems import (
    Conflict,
    DomainError,
    InvalidInput,
    RuleViolated,
)
from junheng_kit.timeutil import utcnow


def _problem_error(problems: list[rules.Problem]) -> DomainError | None:
    """A submission answers with its first problem, as it always has."""
    if not problems:
        return None
    problem = problems[0]
    return (RuleViolated if problem.is_policy else InvalidInput)(problem.detail, problem.error)


@dataclass(frozen=True, slots=True)
class Submission:
    """One family's application as sent, who sent it, and the request's Idempotency-Key claim
    (junheng_kit.idempotency), answered in the transaction that records the application."""

    principal: Principal
    request: ApplicationCreate
    claim: Claim | None = None


@dataclass(frozen=True, slots=True)
class _Placed:
    """A submission past the child check and not yet applied for, with its zones' schools
    (`zones` (None, None): the home is in no zone)."""

    position: int
    key: str
    policy: PriorityPolicy | None
    home_schools: list[str]
    hukou_schools: list[str]
    zones: tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class Recorded:
    """A submitted application as its row was written: what the answer shows, without the cost
    of an ORM object per application (the answer's fields are the `Application` columns)."""

    id: UUID
    county_code: str
    year: int
    level: str
    grade: int
    child_key: str
    citizen_id: str
    citizen_id_index: str
    student_number: str | None
    child_name: str
    birth_date: date
    gender: str
    guardian: dict[str, Any]
    household: dict[str, Any]
    migrant: bool
    home_longitude: float
    home_latitude: float
    home_address: str
    home_zone_code: str | None
    hukou_zone_code: str | None
    home_schools: list[str]
    hukou_schools: list[str]
    choices: list[str]
    primary_school_code: str | None
    status: str
    status_reason: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class Submitted:
    """An application recorded (not yet committed) and the documents its family must show."""

    application: Recorded
    required: tuple[str, ...]
    shows_pii: bool = False  # the submitter holds enrollment:pii: its answer is unmasked


def duplicate_application() -> Conflict:
    """The answer to a second application of a child for a school year (and, through the
    constraint's declaration, to the one that lost a race for it)."""
    return Conflict(APPLICATION_UNIQUE_DETAIL, APPLICATION_UNIQUE)


async def submit_applications(
    session: AsyncSession,
    submissions: Sequence[Submission],
    *,
    secret: bytes,
    today: date,
) -> list[Submitted | DomainError]:
    """入学申请, many at once (group commit): check each child, the age rule, the zones and the
    choices, then record every accepted one with its audit entry and event — set-based, a few
    statements for the whole batch. One outcome per submission, in order: the recorded
    application, or the problem that refuses it (the first one, as a single submission has
    always answered); a refused submission writes nothing and does not stop the others.

    The checks read the policy, zone map and schools in force inside the caller's transaction,
    so a batch sees one consistent state; a child sent twice in one batch is a duplicate the
    second time if the first was recorded, as if the two had come one after the other (a first
    one refused for its choices leaves the child free, as it would have done alone)."""
    outcomes: list[Submitted | DomainError | None] = [None] * len(submissions)
    checked: list[tuple[int, str, PriorityPolicy | None]] = []  # (position, child key, policy)
    index_of: dict[int, str] = {}  # position → the blind index of the child's citizen ID
    for position, submission in enumerate(submissions):
        principal, request = submission.principal, submission.request
        try:
            principal.require_jurisdiction(request.county_code, field="county_code")
        except DomainError as error:
            outcomes[position] = error
            continue
        level = rules.LEVEL_OF_GRADE[request.grade]
        # read once per batch: the session remembers it
        policy = await policies.policy_in_force(
            session, request.county_code, request.year, level, today
        )
        child = request.child
        outcomes[position] = _problem_error(
            rules.child_problems(
                child.citizen_id,
                child.birth_date,
                year=request.year,
                level=level,
                cutoff_month_day=policies.cutoff_of(policy),
                today=today,
                student_number=child.student_number,
            )
        )
        if outcomes[position] is None:
            checked.append((position, student_key(secret, child.citizen_id), policy))
            index_of[position] = citizen_id_index(child.citizen_id)

    taken = await ApplicationRepository(session).children_applied(
        {(submissions[p].request.year, index_of[p]) for p, _, _ in checked}
    )
    fresh: list[tuple[int, str, PriorityPolicy | None]] = []
    for position, key, policy in checked:
        request = submissions[position].request
        if (request.year, index_of[position]) in taken:
            outcomes[position] = duplicate_application()
            continue
        fresh.append((position, key, policy))

    zones_at = await _zones_at(session, [submissions[p].request for p, _, _ in fresh], today)
    placed: list[_Placed] = []
    for (position, key, policy), (home, hukou_zone) in zip(fresh, zones_at, strict=True):
        home_schools = list(home.school_codes) if home else []
        hukou_schools = list(hukou_zone.school_codes) if hukou_zone else []
        zones = (home.zone_code if home else None, hukou_zone.zone_code if hukou_zone else None)
        placed.append(_Placed(position, key, policy, home_schools, hukou_schools, zones))

    wanted = {
        code
        for p in placed
        if p.zones != (None, None)
        for code in (
            submissions[p.position].request.choices
            or rules.school_options(p.home_schools, p.hukou_schools)
        )
    }
    primaries = (submissions[p.position].request.primary_school_code for p in placed)
    wanted |= {code for code in primaries if code is not None}
    school_levels = await ApplicationRepository(session).school_levels(wanted)

    now = utcnow()
    recorded: set[tuple[int, str]] = set()  # the same child later in this batch is a duplicate
    applications: list[dict[str, Any]] = []
    trail: list[dict[str, Any]] = []
    events: list[ApplicationSubmitted] = []
    for p in placed:
        position, key, home_schools, hukou_schools = (
            p.position,
            p.key,
            p.home_schools,
            p.hukou_schools,
        )
        principal, request = submissions[position].principal, submissions[position].request
        migrant = request.household.hukou.county_code != request.county_code
        level = rules.LEVEL_OF_GRADE[request.grade]
        if (request.year, key) in recorded:
            outcomes[position] = duplicate_application()
            continue
        if p.zones == (None, None):
            outcomes[position] = _problem_error(
                [rules.zone_missing(level, request.county_code, request.year)]
            )
            continue
        choices, problems = rules.choice_problems(
            request.choices,
            rules.school_options(home_schools, hukou_schools),
            school_levels=school_levels,
            level=level,
        )
        problems += rules.primary_school_problems(
            request.primary_school_code, level=level, school_levels=school_levels
        )
        if problems:
            outcomes[position] = _problem_error(problems)
            continue
        recorded.add((request.year, key))
        child, household = request.child, request.household
        row: dict[str, Any] = {
            "id": uuid7(),
            "county_code": request.county_code,
            "year": request.year,
            "level": level,
            "grade": request.grade,
            "child_key": key,
            "citizen_id": child.citizen_id,
            "citizen_id_index": index_of[position],
            "student_number": child.student_number,
            "child_name": child.name,
            "birth_date": child.birth_date,
            "gender": citizen_id_gender(child.citizen_id),
            "guardian": request.guardian.model_dump(mode="json"),
            "household": household.model_dump(mode="json"),
            "migrant": migrant,
            "home_longitude": request.home.longitude,
            "home_latitude": request.home.latitude,
            "home_address": request.home.address,
            "home_zone_code": p.zones[0],
            "hukou_zone_code": p.zones[1],
            "home_schools": home_schools,
            "hukou_schools": hukou_schools,
            "choices": choices,
            "primary_school_code": request.primary_school_code,
            "status": "submitted",
            "status_reason": None,
            "created_by": principal.client_id,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        applications.append(row)
        trail.append(
            {
                "application_id": row["id"],
                "at": now,
                "actor": principal.client_id,
                "action": "submitted",
                "from_status": None,
                "to_status": "submitted",
                "reason": None,
                "detail": {"choices": choices},
            }
        )
        events.append(
            ApplicationSubmitted.of(
                subject=str(row["id"]),
                jurisdiction=request.county_code,
                data=ApplicationSubmittedData(
                    application_id=str(row["id"]),
                    county_code=request.county_code,
                    year=request.year,
                    level=level,
                    grade=request.grade,
                    student_key=key,
                    migrant=migrant,
                    choices=choices,
                ),
            )
        )
        outcomes[position] = Submitted(
            Recorded(**row),
            policies.required_documents(p.policy, migrant),
            "enrollment:pii" in principal.scopes,
        )
    if applications:
        await ApplicationRepository(session).insert_submitted(applications, trail)
        await add_events(session, events)
    return [outcome for outcome in outcomes if outcome is not None]


async def _zones_at(
    session: AsyncSession, requests: Sequence[ApplicationCreate], today: date
) -> list[tuple[Zone | None, Zone | None]]:
    """Each request's home zone and 户籍 zone (when the 户籍 is in the county and located) under
    the map in force: every point of one map looked up in one vectorised query."""
    found: list[tuple[Zone | None, Zone | None]] = [(None, None)] * len(requests)
    groups: dict[tuple[str, rules.Level, int], list[int]] = {}
    for i, request in enumerate(requests):
        level = rules.LEVEL_OF_GRADE[request.grade]
        groups.setdefault((request.county_code, level, request.year), []).append(i)
    for (county_code, level, year), members in groups.items():
        index = await zone_index_in_force(session, county_code, level, year, today)
        if index is None:
            continue
        points = [(requests[i].home.longitude, requests[i].home.latitude) for i in members]
        located = [
            i
            for i in members
            if requests[i].household.hukou.county_code == county_code
            and requests[i].household.hukou.location is not None
        ]
        for i in located:
            where = requests[i].household.hukou.location
            assert where is not None
            points.append((where.longitude, where.latitude))
        at = index.locate(
            np.fromiter((x for x, _ in points), np.float64, len(points)),
            np.fromiter((y for _, y in points), np.float64, len(points)),
        ).tolist()
        homes = dict(zip(members, at[: len(members)], strict=True))
        hukous = dict(zip(located, at[len(members) :], strict=True))
        for i in members:
            home, hukou = homes[i], hukous.get(i, -1)
            found[i] = (
                index.zones[home] if home >= 0 else None,
                index.zones[hukou] if hukou >= 0 else None,
            )
    return found
