"""Award use-cases: 免申即享 proposals, school applications, review and the reads of an
award. Services never commit: the caller's transaction holds the rows and their outbox events
together."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards import repository, rules
from assistance.awards.awards.models import AWARD_UNIQUE, AWARD_UNIQUE_DETAIL, Award, AwardHistory
from assistance.awards.awards.rules import AwardProposal, AwardSource, AwardStatus
from assistance.awards.awards.schemas import PII, AwardCreate, AwardPage, AwardRead, AwardReview
from assistance.awards.awards.transitions import enter_in_bulk, transition
from assistance.programmes import repository as programme_repository
from assistance.programmes import rules as programme_rules
from assistance.programmes import service as programmes
from assistance.programmes.service import standards_by_programme
from assistance.students.models import Student
from assistance.students.schemas import StudentStatus
from junheng_kit.auth import Principal
from junheng_kit.classification import masked
from junheng_kit.etags import require_version
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7, uuid7_many
from junheng_kit.pagination import cut_page, decode_uuid_cursor
from junheng_kit.problems import Conflict, FieldError, Forbidden
from junheng_kit.timeutil import utcnow

log = logging.getLogger("assistance.awards")


async def propose_awards(
    session: AsyncSession, *, actor: str, proposals: Sequence[AwardProposal]
) -> int:
    """免申即享: insert auto-identified awards (status proposed, source auto) in one set.

    Amounts come from the standard in force on 1 September of the school year for the student's
    county, level and boarding, at the highest tier (categories default to it, domain.md §4.3).
    Skipped: a student who already has an award for the programme and year (or appears twice),
    a student not enrolled, and a programme with no standard in force (logged). Returns the
    number of awards created.
    """
    if not proposals:
        return 0
    students = await repository.student_places(session, (p.student_id for p in proposals))
    existing = await repository.existing_award_keys(
        session, ((p.student_id, p.programme_code, p.school_year) for p in proposals)
    )
    standards = await standards_by_programme(session, {p.programme_code for p in proposals})
    now = utcnow()
    accepted: list[tuple[AwardProposal, Any, rules.ProposalPrice]] = []
    skipped = {"duplicate": 0, "not_enrolled": 0, "no_standard": 0, "not_covered": 0}
    seen = set(existing)
    # a county has a handful of (programme, year, level, boarding) prices: each found once
    prices: dict[tuple[str, int, str, str, bool], rules.ProposalPrice | str] = {}
    for proposal in proposals:
        key = (proposal.student_id, proposal.programme_code, proposal.school_year)
        if key in seen:
            skipped["duplicate"] += 1
            continue
        student = students.get(proposal.student_id)
        if student is None or student.status != StudentStatus.ENROLLED:
            skipped["not_enrolled"] += 1
            continue
        place = (
            proposal.programme_code,
            proposal.school_year,
            student.county_code,
            student.level,
            student.boarding,
        )
        price = prices.get(place)
        if price is None:
            price = prices[place] = rules.proposal_price(
                standards.get(proposal.programme_code, []), *place[1:]
            )
        if isinstance(price, str):
            skipped[price] += 1
            continue
        seen.add(key)
        accepted.append((proposal, student, price))
    count = len(accepted)
    if count:
        ids = uuid7_many(count)
        proposed = [p for p, _, _ in accepted]
        places = [s for _, s, _ in accepted]
        priced = [price for _, _, price in accepted]
        await enter_in_bulk(
            session,
            {
                "id": ids,
                "student_id": [p.student_id for p in proposed],
                "county_code": [s.county_code for s in places],
                "school_code": [s.school_code for s in places],
                "programme_code": [p.programme_code for p in proposed],
                "school_year": [p.school_year for p in proposed],
                "category": [p.category for p in proposed],
                "tier": [tier.code if tier else None for _, tier, _ in priced],
                "level": [s.level for s in places],
                "boarding": [s.boarding for s in places],
                "amount_yuan": [amount for _, _, amount in priced],
                "paid_yuan": [Decimal("0.00")] * count,
                "standard_id": [standard.id for standard, _, _ in priced],
                "source": [AwardSource.AUTO.value] * count,
                "evidence": [list(p.evidence) for p in proposed],
                "priority": [False] * count,  # the job marks it once the awards exist
                "publicity_batch_id": [None] * count,
                "review": [None] * count,
                "approved_on": [None] * count,
                "approved_by": [None] * count,
                "created_by": [actor] * count,
                "created_at": [now] * count,
                "updated_at": [now] * count,
            },
            to=AwardStatus.PROPOSED,
            actor=actor,
            reasons=[f"免申即享: {p.category} ({', '.join(p.evidence)})" for p in proposed],
            at=now,
        )
    log.info("awards.proposed", extra={"awards_created": count, **skipped})
    return count


def shows_pii(principal: Principal) -> bool:
    """The caller sees names, citizen IDs and categories unmasked (its answers' ETags say so)."""
    return PII in principal.scopes


def award_read(award: Award, student: Student, principal: Principal) -> AwardRead:
    """Full name, citizen ID and category only with `assistance:pii` (jurisdiction checked by
    the query that loaded the award)."""
    read = AwardRead(
        id=award.id,
        student_id=award.student_id,
        student_name=student.name,
        citizen_id=student.citizen_id,
        county_code=award.county_code,
        school_code=award.school_code,
        programme_code=award.programme_code,
        school_year=award.school_year,
        category=award.category,
        priority=award.priority,
        tier=award.tier,
        level=award.level,
        boarding=award.boarding,
        amount_yuan=award.amount_yuan,
        paid_yuan=award.paid_yuan,
        standard_id=award.standard_id,
        source=award.source,
        evidence=list(award.evidence),
        status=award.status,
        publicity_batch_id=award.publicity_batch_id,
        review=award.review,
        approved_on=award.approved_on,
        approved_by=award.approved_by,
        created_by=award.created_by,
        version=award.version,
        created_at=award.created_at,
    )
    return read if PII in principal.scopes else masked(read)


async def get_award(
    session: AsyncSession, principal: Principal, *, award_id: UUID
) -> tuple[Award, Student]:
    return await repository.award_with_student(session, award_id, within=principal.jurisdiction)


async def list_awards(
    session: AsyncSession,
    principal: Principal,
    *,
    filters: Mapping[str, object],
    cursor: str | None,
    limit: int,
) -> AwardPage:
    """Filters are columns (`priority` among them: who is served first reveals a category, so
    filtering on it needs `assistance:pii`, like reading it)."""
    if filters.get("priority") is not None and PII not in principal.scopes:
        raise Forbidden(
            t(
                "按优先保障筛选需要 assistance:pii 权限",
                "filtering by priority needs assistance:pii",
            ),
            FieldError("query.priority", "scope_required", PII),
        )
    rows = await repository.awards_page(
        session,
        within=principal.jurisdiction,
        filters=filters,
        after=decode_uuid_cursor(cursor),
        limit=limit,
    )
    page, next_cursor = cut_page(rows, limit, key=lambda row: row[0].id)
    return AwardPage(items=[award_read(a, s, principal) for a, s in page], next_cursor=next_cursor)


async def history(
    session: AsyncSession, principal: Principal, *, award_id: UUID
) -> list[AwardHistory]:
    await repository.award_with_student(session, award_id, within=principal.jurisdiction)
    return list(await repository.history_of(session, award_id))


async def create_award(
    session: AsyncSession, principal: Principal, *, request: AwardCreate
) -> tuple[Award, Student]:
    """A school applies for a student: the amount must be the standard's for the pupil."""
    student = await repository.student(
        session, request.student_id, FieldError("student_id", "student_known")
    )
    principal.require_jurisdiction(student.county_code, field="student_id")
    versions = [
        v
        for v in await programme_repository.all_versions(session, request.programme_code)
        if student.county_code.startswith(v.scope_code)
    ]
    in_force = programmes.version_in_force(
        versions, programme_rules.school_year_start(request.school_year)
    )
    standards = await standards_by_programme(session, [request.programme_code])
    priced = rules.check_application(
        rules.Pupil(student.county_code, student.level, student.boarding, student.status),
        rules.ProgrammeTerms(in_force.code, tuple(in_force.eligible_categories))
        if in_force
        else None,
        standards.get(request.programme_code, []),
        programme_code=request.programme_code,
        school_year=request.school_year,
        category=request.category,
        tier=request.tier,
        amount_yuan=request.amount_yuan,
    )
    code = priced.programme_code
    if await repository.existing_award_keys(session, [(student.id, code, request.school_year)]):
        raise Conflict(
            AWARD_UNIQUE_DETAIL,
            replace(
                AWARD_UNIQUE,
                message=t(
                    f"{student.id} 在 {request.school_year} 学年已有 {code}",
                    f"{student.id} already has {code} for {request.school_year}",
                ),
            ),
        )
    award = Award(
        id=uuid7(),
        student_id=student.id,
        county_code=student.county_code,
        school_code=student.school_code,
        programme_code=code,
        school_year=request.school_year,
        category=request.category,
        tier=priced.tier,
        level=student.level,
        boarding=student.boarding,
        amount_yuan=priced.amount_yuan,
        paid_yuan=Decimal("0.00"),
        standard_id=priced.standard.id,
        source=AwardSource.SCHOOL.value,
        evidence=[],
        created_by=principal.client_id,
        version=0,  # the first transition makes it 1
    )
    session.add(award)
    transition(
        session,
        award,
        AwardStatus.APPLIED,
        actor=principal.client_id,
        reason=request.reason or "学校代为申请",
    )
    await session.flush()  # a concurrent duplicate fails on uq_award_student_id_…
    return award, student


async def review_award(
    session: AsyncSession,
    principal: Principal,
    *,
    award_id: UUID,
    request: AwardReview,
    if_match: int | None,
) -> tuple[Award, Student]:
    """学校评议: the panel approves (→ reviewed, ready for 公示) or rejects; it may set the tier,
    and the amount follows from the award's own standard."""
    award, student = await repository.award_with_student(
        session, award_id, within=principal.jurisdiction, for_update=True
    )
    principal.require_jurisdiction(award.county_code, field="award_id")
    require_version(t("资助", "award"), award.version, if_match)
    rules.require_status(award.status, rules.REVIEWABLE, rule="reviewable", action="review")
    if request.tier is not None and request.tier != award.tier:
        standard = programmes.to_rule(await repository.standard(session, award.standard_id))
        award.amount_yuan = programme_rules.yearly_amount(
            standard, level=award.level, boarding=award.boarding, tier=request.tier
        )
        award.tier = request.tier
    award.review = {
        "result": request.result,
        "reviewer": request.reviewer,
        "panel": request.panel,
        "reasons": request.reasons,
        "tier": award.tier,
        "reviewed_at": utcnow().isoformat(),
    }
    to = AwardStatus.REVIEWED if request.result == "approved" else AwardStatus.REJECTED
    transition(session, award, to, actor=principal.client_id, reason=f"评议: {request.reasons}")
    await session.flush()
    return award, student
