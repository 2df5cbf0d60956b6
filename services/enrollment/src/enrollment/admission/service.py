"""Admission use-cases: policies, applications, review and verification.

Each function changes state, writes the audit trail and stages its event in the caller's
transaction; none commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import rules
from enrollment.admission.models import (
    APPLICATION_UNIQUE,
    APPLICATION_UNIQUE_DETAIL,
    Application,
    ApplicationEvent,
    ApplicationVerification,
    PriorityPolicy,
)
from enrollment.admission.repository import ApplicationRepository, PolicyRepository
from enrollment.admission.schemas import (
    ApplicationCreate,
    PriorityPolicyPut,
    TransitionCreate,
    VerificationPut,
)
from enrollment.zoning.rules import Zone
from enrollment.zoning.service import zone_index_in_force
from junheng_contracts.enrollment import ApplicationSubmitted, ApplicationSubmittedData
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.idempotency import Claim
from junheng_kit.identifiers import citizen_id_gender, student_key
from junheng_kit.ids import uuid7
from junheng_kit.messaging.bulk import add_events
from junheng_kit.problems import (
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    RuleViolated,
)
from junheng_kit.timeutil import utcnow

DEFAULT_ENTRY_AGE_CUTOFF = (8, 31)  # domain.md §1.5: entry_age_cutoff=08-31 unless a county says


# ---------------------------------------------------------------- priority policies


def tiers_of(policy: PriorityPolicy) -> list[rules.Tier]:
    return [
        rules.Tier(
            tier=t["tier"],
            name=t["name"],
            all_of=tuple(rules.Condition(c["fact"], c["op"], c["value"]) for c in t["all_of"]),
        )
        for t in policy.document["tiers"]
    ]


def cutoff_of(policy: PriorityPolicy | None) -> tuple[int, int]:
    if policy is None:
        return DEFAULT_ENTRY_AGE_CUTOFF
    month, day = policy.document["entry_age_cutoff"].split("-")
    return int(month), int(day)


async def publish_policy(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    level: rules.Level,
    request: PriorityPolicyPut,
) -> PriorityPolicy:
    """招生政策: add the next version of a county's priority rules; old versions stay."""
    principal.require_jurisdiction(county_code, field="county_code")
    repository = PolicyRepository(session)
    document = request.model_dump(mode="json")
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    policy = PriorityPolicy(
        county_code=county_code,
        year=year,
        level=level,
        version=await repository.latest_version(county_code, year, level) + 1,
        effective_from=request.effective_from,
        source=request.source,
        document=document,
        document_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        created_by=principal.client_id,
    )
    repository.add(policy)
    await session.flush()
    return policy


# ---------------------------------------------------------------- applications


def _trail(
    application: Application,
    principal: Principal,
    action: str,
    *,
    from_status: str | None,
    to_status: str | None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> ApplicationEvent:
    return ApplicationEvent(
        application_id=application.id,
        actor=principal.client_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        detail=detail or {},
    )


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
    for position, submission in enumerate(submissions):
        principal, request = submission.principal, submission.request
        try:
            principal.require_jurisdiction(request.county_code, field="county_code")
        except DomainError as error:
            outcomes[position] = error
            continue
        level = rules.LEVEL_OF_GRADE[request.grade]
        # read once per batch: the session remembers it
        policy = await _policy_in_force(session, request.county_code, request.year, level, today)
        child = request.child
        outcomes[position] = _problem_error(
            rules.child_problems(
                child.citizen_id,
                child.birth_date,
                year=request.year,
                level=level,
                cutoff_month_day=cutoff_of(policy),
                today=today,
            )
        )
        if outcomes[position] is None:
            checked.append((position, student_key(secret, child.citizen_id), policy))

    taken = await ApplicationRepository(session).children_applied(
        {(submissions[p].request.year, key) for p, key, _ in checked}
    )
    fresh: list[tuple[int, str, PriorityPolicy | None]] = []
    for position, key, policy in checked:
        request = submissions[position].request
        if (request.year, key) in taken:
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
        outcomes[position] = Submitted(Recorded(**row), _required(p.policy, migrant))
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


def _required(policy: PriorityPolicy | None, migrant: bool) -> tuple[str, ...]:
    documents = policy.document["documents"] if policy else {"local": [], "migrant": []}
    return rules.required_documents(
        migrant, local=documents["local"], migrant_documents=documents["migrant"]
    )


async def checklist(
    session: AsyncSession, application: Application, *, today: date
) -> tuple[tuple[str, ...], dict[str, ApplicationVerification]]:
    """The documents the policy in force asks of this family, and their latest checks."""
    policy = await _policy_in_force(
        session, application.county_code, application.year, application.level, today
    )
    return _required(policy, application.migrant), await ApplicationRepository(
        session
    ).verifications(application.id)


_POLICIES = "enrollment_policies_read"


async def _policy_in_force(
    session: AsyncSession, county_code: str, year: int, level: str, today: date
) -> PriorityPolicy | None:
    """The policy in force, read once per transaction (a submission's checks and its answer's
    checklist ask the same question; policies are written by other requests)."""
    seen: dict[tuple[str, int, str, date], PriorityPolicy | None] = session.info.setdefault(
        _POLICIES, {}
    )
    key = (county_code, year, level, today)
    if key not in seen:
        seen[key] = await PolicyRepository(session).in_force(county_code, year, level, on=today)
    return seen[key]


def _check_version(application: Application, if_match: int | None) -> None:
    require_version(f"application {application.id}", application.version, if_match)


async def transition(
    session: AsyncSession,
    principal: Principal,
    *,
    application_id: UUID,
    request: TransitionCreate,
    if_match: int | None,
    today: date,
) -> Application:
    """审核: move an application through submitted → verifying → verified / needs-documents /
    rejected; `verified` needs every document of the checklist confirmed."""
    repository = ApplicationRepository(session)
    application = await repository.get(application_id, within=principal.jurisdiction)
    _check_version(application, if_match)
    current = application.status
    if not rules.can_move(current, request.to):  # type: ignore[arg-type]
        allowed = ", ".join(sorted(rules.TRANSITIONS[current])) or "none (final)"  # type: ignore[index]
        raise RuleViolated(
            f"an application that is {current} cannot become {request.to}",
            FieldError("to", "review_transition", f"from {current} it may become: {allowed}"),
        )
    if request.to == "verified":
        required, checks = await checklist(session, application, today=today)
        missing = rules.missing_verifications(
            required, {document: check.result for document, check in checks.items()}
        )
        if missing:
            state = {d: checks[d].result if d in checks else "not checked" for d in missing}
            raise RuleViolated(
                "documents are not all confirmed",
                *[
                    FieldError(
                        f"checklist.{document}",
                        "document_confirmed",
                        f"{document} is {state[document]}",
                    )
                    for document in missing
                ],
            )
    application.status = request.to
    application.status_reason = request.reason
    application.updated_at = utcnow()
    await session.flush()
    repository.record(
        _trail(
            application,
            principal,
            "status_changed",
            from_status=current,
            to_status=request.to,
            reason=request.reason,
        )
    )
    return application


async def verify_document(
    session: AsyncSession,
    principal: Principal,
    *,
    application_id: UUID,
    document: str,
    request: VerificationPut,
    today: date,
) -> ApplicationVerification:
    """核验: record the result of checking one document of the checklist (source, time, result,
    reason); the latest check counts, every check stays in the trail."""
    repository = ApplicationRepository(session)
    application = await repository.get(application_id, within=principal.jurisdiction)
    if application.status not in ("submitted", "verifying", "needs_documents"):
        raise RuleViolated(
            f"an application that is {application.status} is not under review",
            FieldError(
                "path.application_id",
                "review_open",
                "documents are checked while an application is submitted, verifying or "
                "needs-documents; re-open a verified one first (to: verifying)",
            ),
        )
    required, _ = await checklist(session, application, today=today)
    if document not in required:
        raise InvalidInput(
            f"{document} is not on this family's checklist",
            FieldError(
                "path.document",
                "document_in_checklist",
                f"the policy asks for: {', '.join(required) or 'no documents'}",
            ),
        )
    verification = await repository.verification(application.id, document)
    if verification is None:
        verification = ApplicationVerification(application_id=application.id, document=document)
        repository.add_verification(verification)
    verification.result = request.result
    verification.source = request.source
    verification.reason = request.reason
    verification.checked_by = principal.client_id
    verification.checked_at = utcnow()
    application.updated_at = utcnow()
    await session.flush()
    repository.record(
        _trail(
            application,
            principal,
            "document_checked",
            from_status=application.status,
            to_status=application.status,
            reason=request.reason,
            detail={"document": document, "result": request.result, "source": request.source},
        )
    )
    return verification


async def priorities_of(
    session: AsyncSession, application: Application, *, on: date
) -> tuple[PriorityPolicy, dict[str, bool | int], list[tuple[str, int | None, str | None]]]:
    """The tier the policy in force gives the application at each of its choices."""
    policy = await PolicyRepository(session).in_force(
        application.county_code, application.year, application.level, on=on
    )
    if policy is None:
        raise RuleViolated(
            "no priority policy is in force",
            FieldError(
                "policy",
                "policy_published",
                f"publish the {application.level} admission rules of {application.county_code} "
                f"for {application.year} first (PUT /v1/priority-policies/…)",
            ),
        )
    tiers = tiers_of(policy)
    facts = rules.applicant_facts(
        household_of(application),
        county_code=application.county_code,
        reference_date=date.fromisoformat(policy.document["reference_date"]),
    )
    names = {t.tier: t.name for t in tiers}
    home, hukou = frozenset(application.home_schools), frozenset(application.hukou_schools)
    rows = []
    for code in application.choices:
        tier = rules.tier_at(tiers, facts, hukou_in_zone=code in hukou, home_in_zone=code in home)
        rows.append((code, tier, names.get(tier) if tier is not None else None))
    return policy, facts, rows


def household_of(application: Application) -> rules.Household:
    return rules.Household.from_document(application.household)
