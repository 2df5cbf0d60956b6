"""Award workflow use-cases: proposals, applications, review, 公示, approval, disbursement,
status notices and transfers. Services never commit: the caller's transaction holds the rows
and their outbox events together."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards import repository, rules
from assistance.awards.models import (
    AWARD_UNIQUE,
    AWARD_UNIQUE_DETAIL,
    Award,
    AwardHistory,
    Disbursement,
    DisbursementItem,
    Objection,
    PublicityBatch,
    StatusNotice,
    StudentTransfer,
    WorkCalendar,
)
from assistance.awards.rules import AwardProposal, AwardStatus, StatusChange
from assistance.awards.schemas import (
    AwardApproval,
    AwardCreate,
    AwardPage,
    AwardRead,
    AwardReview,
    CalendarPut,
    CalendarRead,
    DisbursementCreate,
    DisbursementItemRead,
    DisbursementRead,
    NoticeAppeal,
    NoticeRead,
    NoticeResolve,
    ObjectionCreate,
    ObjectionResolve,
    PublicEntry,
    PublicityBatchCreate,
    PublicList,
    TransferCreate,
)
from assistance.programmes import repository as programme_repository
from assistance.programmes import rules as programme_rules
from assistance.programmes import service as programmes
from assistance.programmes.service import standards_by_programme
from assistance.students.models import Student
from assistance.students.repository import StudentRepository
from assistance.students.schemas import Level
from junheng_contracts.assistance import (
    AwardApproved,
    AwardApprovedData,
    DisbursementRecorded,
    DisbursementRecordedData,
)
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.ids import uuid7, uuid7_many
from junheng_kit.logs import mask_citizen_id, mask_name
from junheng_kit.messaging.outbox import add_event
from junheng_kit.pagination import cut_page, decode_uuid_cursor
from junheng_kit.problems import (
    Conflict,
    FieldError,
    NotFound,
    RuleViolated,
)
from junheng_kit.timeutil import china_today, utcnow

log = logging.getLogger("assistance.awards")

DEFAULT_NOTICE_GRACE_DAYS = 30


Price = tuple[programme_rules.Standard, programme_rules.Tier | None, Decimal]


def _price(
    standards: Sequence[programme_rules.Standard],
    school_year: int,
    county_code: str,
    level: str,
    boarding: bool,
) -> Price | str:
    """(standard, highest tier, amount) of an auto-proposed award, or why there is none."""
    standard = programme_rules.standard_in_force(
        standards, county_code=county_code, on=programme_rules.school_year_start(school_year)
    )
    if standard is None:
        return "no_standard"
    tier = programme_rules.highest_tier(standard)
    try:
        amount = programme_rules.yearly_amount(
            standard, level=level, boarding=boarding, tier=tier.code if tier else None
        )
    except RuleViolated:
        return "not_covered"
    return standard, tier, amount


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
    accepted: list[tuple[AwardProposal, Any, Price]] = []
    skipped = {"duplicate": 0, "not_enrolled": 0, "no_standard": 0, "not_covered": 0}
    seen = set(existing)
    # a county has a handful of (programme, year, level, boarding) prices: each found once
    prices: dict[tuple[str, int, str, str, bool], Price | str] = {}
    for proposal in proposals:
        key = (proposal.student_id, proposal.programme_code, proposal.school_year)
        if key in seen:
            skipped["duplicate"] += 1
            continue
        student = students.get(proposal.student_id)
        if student is None or student.status != "enrolled":
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
            price = prices[place] = _price(standards.get(proposal.programme_code, []), *place[1:])
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
        await repository.insert_award_columns(
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
                "source": ["auto"] * count,
                "evidence": [list(p.evidence) for p in proposed],
                "status": [AwardStatus.PROPOSED.value] * count,
                "publicity_batch_id": [None] * count,
                "review": [None] * count,
                "approved_on": [None] * count,
                "approved_by": [None] * count,
                "created_by": [actor] * count,
                "version": [1] * count,
                "created_at": [now] * count,
                "updated_at": [now] * count,
            },
            {
                "award_id": ids,
                "from_status": [None] * count,
                "to_status": [AwardStatus.PROPOSED.value] * count,
                "actor": [actor] * count,
                "reason": [
                    f"免申即享: {p.category} ({', '.join(p.evidence)})"[:500] for p in proposed
                ],
                "at": [now] * count,
            },
        )
    log.info("awards.proposed", extra={"awards_created": count, **skipped})
    return count


async def raise_status_notices(
    session: AsyncSession,
    *,
    actor: str,
    changes: Sequence[StatusChange],
    grace_days: int = DEFAULT_NOTICE_GRACE_DAYS,
) -> int:
    """资格变动: a notice per change, with a grace period and an appeal path.

    `lost` without an award id: one notice per open award of the student in that category (or
    one without an award if there is none); `gained`: a notice without an award (the school may
    apply). A change that already has an open or appealed notice is not raised again. Awards stay
    payable until the grace period (detected_on + grace_days) ends. Returns notices created.
    """
    if not changes:
        return 0
    ids = {c.student_id for c in changes}
    students = await repository.student_places(session, ids)
    open_awards = await repository.open_awards_of(session, ids)
    pending = await repository.pending_notice_keys(session, ids)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for change in changes:
        student = students.get(change.student_id)
        if student is None:
            continue
        targets: list[Any] = [change.award_id]
        if change.change == "lost" and change.award_id is None:
            targets = [
                a.id
                for a in open_awards
                if a.student_id == change.student_id and a.category == change.category
            ] or [None]
        for award_id in targets:
            key = (change.student_id, award_id, change.category, change.change)
            if key in pending:
                continue
            pending.add(key)
            rows.append(
                {
                    "id": uuid7(),
                    "student_id": change.student_id,
                    "award_id": award_id,
                    "county_code": student.county_code,
                    "category": change.category,
                    "change": change.change,
                    "agency": change.agency,
                    "detected_on": change.detected_on,
                    "grace_until": change.detected_on + timedelta(days=grace_days),
                    "status": "open",
                    "appeal": None,
                    "outcome": None,
                    "resolution": None,
                    "raised_by": actor,
                    "created_at": now,
                }
            )
    await repository.insert_notices(session, rows)
    log.info("status_notices.raised", extra={"notices_created": len(rows)})
    return len(rows)


PII = "assistance:pii"


# --- reading -----------------------------------------------------------------------------------


def award_read(award: Award, student: Student, principal: Principal) -> AwardRead:
    """Full name, citizen ID and category only with `assistance:pii` (jurisdiction checked by
    the query that loaded the award)."""
    pii = PII in principal.scopes
    return AwardRead(
        id=award.id,
        student_id=award.student_id,
        student_name=student.name if pii else mask_name(student.name),
        citizen_id=student.citizen_id if pii else mask_citizen_id(student.citizen_id),
        county_code=award.county_code,
        school_code=award.school_code,
        programme_code=award.programme_code,
        school_year=award.school_year,
        category=award.category if pii else None,
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


# --- transitions -------------------------------------------------------------------------------


def _check_version(award: Award, expected: int | None) -> None:
    require_version("award", award.version, expected)


def _transition(
    session: AsyncSession, award: Award, to: AwardStatus | str, *, actor: str, reason: str
) -> None:
    """Every change of an award appends one history row and bumps its version (the ETag)."""
    session.add(
        AwardHistory(
            award_id=award.id,
            from_status=award.status,
            to_status=str(to),
            actor=actor,
            reason=reason[:500],
        )
    )
    award.status = str(to)
    award.version += 1


async def create_award(
    session: AsyncSession, principal: Principal, *, request: AwardCreate
) -> tuple[Award, Student]:
    """A school applies for a student: the amount must be the standard's for the pupil."""
    student = await session.get(Student, request.student_id)
    if student is None:
        raise NotFound(
            f"student {request.student_id} not found",
            FieldError("student_id", "student_known"),
        )
    principal.require_jurisdiction(student.county_code, field="student_id")
    if student.status != "enrolled":
        raise RuleViolated(
            "学生不在籍",
            FieldError("student_id", "student_enrolled", f"roster status {student.status}"),
        )
    priced_on = programme_rules.school_year_start(request.school_year)
    versions = [
        v
        for v in await programme_repository.all_versions(session, request.programme_code)
        if student.county_code.startswith(v.scope_code)
    ]
    programme = programmes.version_in_force(versions, priced_on)
    if programme is None:
        raise RuleViolated(
            "资助项目不存在",
            FieldError(
                "programme_code",
                "programme_known",
                f"no programme {request.programme_code} in force on {priced_on} for "
                f"{student.county_code}",
            ),
        )
    if (
        request.category is not None
        and programme.eligible_categories
        and request.category not in programme.eligible_categories
    ):
        raise RuleViolated(
            "该类别不在项目资助范围",
            FieldError(
                "category",
                "category_eligible",
                f"{programme.code} covers {', '.join(programme.eligible_categories)}",
            ),
        )
    standards = await standards_by_programme(session, [programme.code])
    standard = programme_rules.standard_in_force(
        standards.get(programme.code, []), county_code=student.county_code, on=priced_on
    )
    if standard is None:
        raise RuleViolated(
            "资助标准未公布",
            FieldError(
                "programme_code",
                "standard_in_force",
                f"{programme.code} has no standard in force on {priced_on} for "
                f"{student.county_code}: the county publishes one first",
            ),
        )
    tier = request.tier
    if tier is None:
        highest = programme_rules.highest_tier(standard)
        tier = highest.code if highest else None
    expected = programme_rules.yearly_amount(
        standard, level=student.level, boarding=student.boarding, tier=tier
    )
    if request.amount_yuan != expected:
        raise RuleViolated(
            "金额与资助标准不符",
            FieldError(
                "amount_yuan",
                "amount_matches_standard",
                f"standard {standard.id} (from {standard.effective_from}) gives {expected} for "
                f"{student.level}, {'boarding' if student.boarding else 'non-boarding'}"
                + (f", tier {tier}" if tier else ""),
            ),
        )
    key = (student.id, programme.code, request.school_year)
    if await repository.existing_award_keys(session, [key]):
        raise Conflict(
            AWARD_UNIQUE_DETAIL,
            replace(
                AWARD_UNIQUE,
                message=f"{student.id} already has {programme.code} for {request.school_year}",
            ),
        )
    award = Award(
        id=uuid7(),
        student_id=student.id,
        county_code=student.county_code,
        school_code=student.school_code,
        programme_code=programme.code,
        school_year=request.school_year,
        category=request.category,
        tier=tier,
        level=student.level,
        boarding=student.boarding,
        amount_yuan=expected,
        paid_yuan=Decimal("0.00"),
        standard_id=standard.id,
        source="school",
        evidence=[],
        status=AwardStatus.APPLIED.value,
        created_by=principal.client_id,
        version=1,
    )
    session.add(award)
    session.add(
        AwardHistory(
            award_id=award.id,
            from_status=None,
            to_status=AwardStatus.APPLIED.value,
            actor=principal.client_id,
            reason=request.reason or "学校代为申请",
        )
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
    _check_version(award, if_match)
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
    _transition(session, award, to, actor=principal.client_id, reason=f"评议: {request.reasons}")
    await session.flush()
    return award, student


async def load_calendar(session: AsyncSession, years: range) -> rules.WorkCalendar:
    rows = await repository.calendars(session, list(years))
    return rules.WorkCalendar(
        holidays=frozenset(date.fromisoformat(d) for r in rows for d in r.holidays),
        working_weekends=frozenset(date.fromisoformat(d) for r in rows for d in r.working_days),
        years=frozenset(r.year for r in rows),
    )


async def create_publicity_batch(
    session: AsyncSession, principal: Principal, *, request: PublicityBatchCreate, minimum: int
) -> tuple[PublicityBatch, int]:
    """公示: reviewed awards listed from `starts_on` for ≥ `minimum` working days."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    if request.school_code is not None and not request.school_code[2:4] == request.county_code[:2]:
        raise RuleViolated(
            "学校不在该县",
            FieldError("school_code", "school_in_province", "学校标识码 province digits differ"),
        )
    last_year = max(request.starts_on.year + 1, (request.ends_on or request.starts_on).year)
    calendar = await load_calendar(session, range(request.starts_on.year, last_year + 1))
    ends_on = request.ends_on or rules.publicity_end(request.starts_on, minimum, calendar)
    working_days = rules.check_publicity_period(request.starts_on, ends_on, minimum, calendar)
    missing = calendar.missing_years(request.starts_on, ends_on)
    note = (
        f"no official holiday calendar for {', '.join(map(str, missing))}: weekends only; "
        "PUT /v1/calendars/{year} with the State Council notice"
        if missing
        else None
    )
    if request.award_ids is None:
        chosen = await repository.reviewed_awards(session, request.county_code, request.school_code)
    else:
        chosen = await repository.awards_by_ids(
            session, request.award_ids, within=principal.jurisdiction
        )
        known = {a.id for a, _ in chosen}
        missing_ids = [i for i, a in enumerate(request.award_ids) if a not in known]
        if missing_ids:
            raise NotFound(
                "award not found",
                *(FieldError(f"award_ids[{i}]", "award_known") for i in missing_ids),
            )
        position = {a: i for i, a in enumerate(request.award_ids)}
        errors = [
            FieldError(
                f"award_ids[{position[a.id]}]",
                "review_required",
                f"award is {a.status}; 公示 lists reviewed awards not on another list",
            )
            for a, _ in chosen
            if a.status != AwardStatus.REVIEWED or a.publicity_batch_id is not None
        ]
        if errors:
            raise rules.WorkflowConflict("未经评议的资助不能公示", *errors)
        outside = [
            FieldError(f"award_ids[{position[a.id]}]", "award_in_batch_scope")
            for a, _ in chosen
            if a.county_code != request.county_code
            or (request.school_code is not None and a.school_code != request.school_code)
        ]
        if outside:
            raise RuleViolated("资助不属于该公示范围", *outside)
    if not chosen:
        raise RuleViolated(
            "没有可公示的资助",
            FieldError("award_ids", "awards_present", "no reviewed award waits for 公示"),
        )
    batch = PublicityBatch(
        id=uuid7(),
        county_code=request.county_code,
        school_code=request.school_code,
        starts_on=request.starts_on,
        ends_on=ends_on,
        working_days=working_days,
        calendar_note=note,
        created_by=principal.client_id,
    )
    session.add(batch)
    await session.flush()
    for award, _ in chosen:
        award.publicity_batch_id = batch.id
        _transition(
            session,
            award,
            AwardStatus.IN_PUBLICITY,
            actor=principal.client_id,
            reason=f"公示 {request.starts_on}..{ends_on} ({working_days} 个工作日)",
        )
    await session.flush()
    return batch, len(chosen)


async def get_batch(
    session: AsyncSession, principal: Principal, *, batch_id: UUID
) -> tuple[PublicityBatch, int]:
    batch = await repository.batch(session, batch_id, within=principal.jurisdiction)
    return batch, len(await repository.batch_awards(session, batch_id))


async def public_list(session: AsyncSession, principal: Principal, *, batch_id: UUID) -> PublicList:
    """The list the school prints: masked name and ID, programme and tier; the category only
    where the programme allows it — the same for every caller (it is the public copy)."""
    batch = await repository.batch(session, batch_id, within=principal.jurisdiction)
    rows = await repository.batch_awards(session, batch_id)
    catalogue = {
        p.code: p
        for p in programmes.programmes_in_force(
            await programme_repository.all_versions(session), batch.starts_on
        )
    }
    items = []
    for award, student in rows:
        if award.status == AwardStatus.REJECTED:
            continue
        programme = catalogue.get(award.programme_code)
        items.append(
            PublicEntry(
                student_name=mask_name(student.name),
                citizen_id=mask_citizen_id(student.citizen_id),
                school_code=award.school_code,
                programme_code=award.programme_code,
                programme_name=programme.name if programme else award.programme_code,
                tier=award.tier,
                category=award.category
                if programme is not None and programme.publicity_shows_category
                else None,
                amount_yuan=award.amount_yuan,
            )
        )
    return PublicList(
        batch_id=batch.id,
        starts_on=batch.starts_on,
        ends_on=batch.ends_on,
        objections_to=f"POST /v1/publicity-batches/{batch.id}/objections",
        items=items,
    )


async def record_objection(
    session: AsyncSession, principal: Principal, *, batch_id: UUID, request: ObjectionCreate
) -> Objection:
    batch = await repository.batch(session, batch_id, within=principal.jurisdiction)
    principal.require_jurisdiction(batch.county_code, field="batch_id")
    award, _ = await repository.award_with_student(
        session, request.award_id, within=principal.jurisdiction
    )
    if award.publicity_batch_id != batch.id:
        raise RuleViolated(
            "该资助不在此公示名单",
            FieldError("award_id", "award_on_list", "the award is not on this 公示 list"),
        )
    if not batch.starts_on <= request.received_on <= batch.ends_on:
        raise RuleViolated(
            "异议须在公示期内提出",
            FieldError(
                "received_on",
                "objection_during_publicity",
                f"公示 ran {batch.starts_on}..{batch.ends_on}",
            ),
        )
    objection = Objection(
        id=uuid7(),
        batch_id=batch.id,
        award_id=award.id,
        received_on=request.received_on,
        summary=request.summary,
        status="open",
        recorded_by=principal.client_id,
    )
    session.add(objection)
    session.add(
        AwardHistory(
            award_id=award.id,
            from_status=award.status,
            to_status=award.status,
            actor=principal.client_id,
            reason=f"异议 {objection.id}: {request.summary}"[:500],
        )
    )
    award.version += 1
    await session.flush()
    return objection


async def list_objections(
    session: AsyncSession, principal: Principal, *, batch_id: UUID
) -> list[Objection]:
    await repository.batch(session, batch_id, within=principal.jurisdiction)
    return list(await repository.objections_of(session, batch_id))


async def resolve_objection(
    session: AsyncSession, principal: Principal, *, objection_id: UUID, request: ObjectionResolve
) -> Objection:
    """Upheld: the award is rejected (off the list); dismissed: approval may go ahead."""
    objection = await repository.objection(session, objection_id, within=principal.jurisdiction)
    if objection.status != "open":
        raise Conflict(
            "异议已处理", FieldError("objection_id", "objection_open", f"it is {objection.status}")
        )
    award, _ = await repository.award_with_student(
        session, objection.award_id, within=principal.jurisdiction, for_update=True
    )
    objection.status = request.outcome
    objection.resolution = request.resolution
    objection.resolved_by = principal.client_id
    if request.outcome == "upheld":
        _transition(
            session,
            award,
            AwardStatus.REJECTED,
            actor=principal.client_id,
            reason=f"异议成立: {request.resolution}",
        )
    else:
        session.add(
            AwardHistory(
                award_id=award.id,
                from_status=award.status,
                to_status=award.status,
                actor=principal.client_id,
                reason=f"异议不成立: {request.resolution}"[:500],
            )
        )
        award.version += 1
    await session.flush()
    return objection


def _approval_blockers(
    award: Award, batch: PublicityBatch | None, on: date, open_ids: set[UUID], field: str
) -> list[FieldError]:
    if award.status in (AwardStatus.PROPOSED, AwardStatus.APPLIED):
        return [FieldError(field, "review_required", "the school panel has not reviewed it")]
    if award.status == AwardStatus.REVIEWED or batch is None:
        return [FieldError(field, "publicity_required", "reviewed but not yet on a 公示 list")]
    if award.status != AwardStatus.IN_PUBLICITY:
        return [FieldError(field, "approvable", f"award is {award.status}")]
    if on <= batch.ends_on:
        return [
            FieldError(
                field,
                "publicity_not_ended",
                f"公示 runs until {batch.ends_on}; approve from {batch.ends_on + timedelta(1)}",
            )
        ]
    if award.id in open_ids:
        return [FieldError(field, "objection_open", "an objection to it is still open")]
    return []


async def approve_awards(
    session: AsyncSession,
    principal: Principal,
    *,
    pairs: list[tuple[Award, Student]],
    request: AwardApproval,
    fields: list[str],
) -> None:
    """县级审批: all or none. Each award must have passed review and a 公示 that has ended,
    with no objection open; emits `assistance.award.approved` per award."""
    on = request.approved_on or china_today()
    batches = await repository.batches_of(
        session, {a.publicity_batch_id for a, _ in pairs if a.publicity_batch_id}
    )
    open_ids = await repository.open_objections(session, [a.id for a, _ in pairs])
    errors = [
        e
        for (award, _), field in zip(pairs, fields, strict=True)
        for e in _approval_blockers(
            award,
            batches.get(award.publicity_batch_id) if award.publicity_batch_id else None,
            on,
            open_ids,
            field,
        )
    ]
    if errors:
        raise rules.WorkflowConflict("不满足审批条件", *errors)
    for award, student in pairs:
        principal.require_jurisdiction(award.county_code, field="award_id")
        award.approved_on = on
        award.approved_by = principal.client_id
        _transition(
            session,
            award,
            AwardStatus.APPROVED,
            actor=principal.client_id,
            reason=request.note or "县级审批通过",
        )
        add_event(
            session,
            AwardApproved.of(
                subject=str(award.id),
                jurisdiction=award.county_code,
                data=AwardApprovedData(
                    award_id=str(award.id),
                    student_key=student.student_key,
                    county_code=award.county_code,
                    school_code=award.school_code,
                    programme_code=award.programme_code,
                    school_year=award.school_year,
                    tier=award.tier,
                    amount_yuan=award.amount_yuan,
                    standard_id=str(award.standard_id),
                    source="auto" if award.source == "auto" else "school",
                    approved_on=on,
                    version=award.version,
                ),
            ),
        )
    await session.flush()


async def approve_award(
    session: AsyncSession,
    principal: Principal,
    *,
    award_id: UUID,
    request: AwardApproval,
    if_match: int | None,
) -> tuple[Award, Student]:
    award, student = await repository.award_with_student(
        session, award_id, within=principal.jurisdiction, for_update=True
    )
    _check_version(award, if_match)
    await approve_awards(
        session, principal, pairs=[(award, student)], request=request, fields=["status"]
    )
    return award, student


async def approve_batch(
    session: AsyncSession, principal: Principal, *, batch_id: UUID, request: AwardApproval
) -> int:
    """Approve every award still on a 公示 list (rejected ones stay off), all or none."""
    batch = await repository.batch(session, batch_id, within=principal.jurisdiction)
    principal.require_jurisdiction(batch.county_code, field="batch_id")
    pairs = [
        (a, s)
        for a, s in await repository.batch_awards(session, batch_id)
        if a.status == AwardStatus.IN_PUBLICITY
    ]
    if not pairs:
        raise Conflict("名单上没有待审批的资助", FieldError("batch_id", "awards_pending_approval"))
    await approve_awards(
        session,
        principal,
        pairs=pairs,
        request=request,
        fields=[f"awards[{a.id}]" for a, _ in pairs],
    )
    return len(pairs)


async def record_disbursement(
    session: AsyncSession, principal: Principal, *, request: DisbursementCreate
) -> tuple[Disbursement, list[DisbursementItem]]:
    """资金发放: every line or none. An award must be approved, in the batch's county, paid at
    most what it has left, and not past the grace period of a `lost` status notice."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    ids = [line.award_id for line in request.items]
    pairs = {
        a.id: (a, s)
        for a, s in await repository.awards_by_ids(session, ids, within=principal.jurisdiction)
    }
    notices = await repository.notices_of_awards(session, ids)
    rule_errors: list[FieldError] = []
    conflicts: list[FieldError] = []
    for i, line in enumerate(request.items):
        field = f"items[{i}]"
        pair = pairs.get(line.award_id)
        if pair is None or pair[0].county_code != request.county_code:
            rule_errors.append(
                FieldError(
                    f"{field}.award_id", "award_in_county", f"no award of {request.county_code}"
                )
            )
            continue
        award = pair[0]
        if award.status not in (AwardStatus.APPROVED, AwardStatus.PAID):
            conflicts.append(
                FieldError(f"{field}.award_id", "award_approved", f"award is {award.status}")
            )
            continue
        remaining = award.amount_yuan - award.paid_yuan
        if line.amount_yuan > remaining:
            rule_errors.append(
                FieldError(
                    f"{field}.amount_yuan",
                    "amount_within_remaining",
                    f"{remaining} of {award.amount_yuan} is left to pay",
                )
            )
        blocker = rules.payment_blocker(
            (
                rules.NoticeState(n.change, n.status, n.outcome, n.grace_until)
                for n in notices.get(award.id, [])
            ),
            request.paid_on,
        )
        if blocker is not None:
            conflicts.append(
                FieldError(
                    f"{field}.award_id",
                    "grace_period_ended",
                    f"category no longer confirmed; grace period ended {blocker.grace_until}",
                )
            )
    if rule_errors:
        raise RuleViolated("发放明细不符合规则", *rule_errors)
    if conflicts:
        raise Conflict("资助当前不可发放", *conflicts)
    batch = Disbursement(
        id=uuid7(),
        county_code=request.county_code,
        paid_on=request.paid_on,
        channel=request.channel,
        reference=request.reference,
        total_yuan=sum((line.amount_yuan for line in request.items), Decimal("0.00")),
        recorded_by=principal.client_id,
    )
    session.add(batch)
    await session.flush()
    items = []
    for line in request.items:
        award, student = pairs[line.award_id]
        award.paid_yuan = award.paid_yuan + line.amount_yuan
        to = AwardStatus.PAID if award.paid_yuan == award.amount_yuan else AwardStatus.APPROVED
        _transition(
            session,
            award,
            to,
            actor=principal.client_id,
            reason=f"发放 {line.amount_yuan} 元 ({request.channel}, {request.paid_on}, {batch.id})",
        )
        item = DisbursementItem(
            disbursement_id=batch.id, award_id=award.id, amount_yuan=line.amount_yuan
        )
        session.add(item)
        items.append(item)
        add_event(
            session,
            DisbursementRecorded.of(
                subject=str(award.id),
                jurisdiction=award.county_code,
                data=DisbursementRecordedData(
                    disbursement_id=str(batch.id),
                    award_id=str(award.id),
                    student_key=student.student_key,
                    county_code=award.county_code,
                    school_code=award.school_code,
                    programme_code=award.programme_code,
                    school_year=award.school_year,
                    amount_yuan=line.amount_yuan,
                    paid_total_yuan=award.paid_yuan,
                    award_amount_yuan=award.amount_yuan,
                    paid_on=request.paid_on,
                    channel=request.channel,
                    version=award.version,
                ),
            ),
        )
    await session.flush()
    return batch, items


async def get_disbursement(
    session: AsyncSession, principal: Principal, *, disbursement_id: UUID
) -> DisbursementRead:
    batch, items = await repository.disbursement(
        session, disbursement_id, within=principal.jurisdiction
    )
    return disbursement_read(batch, items)


def disbursement_read(batch: Disbursement, items: Sequence[DisbursementItem]) -> DisbursementRead:
    return DisbursementRead(
        id=batch.id,
        county_code=batch.county_code,
        paid_on=batch.paid_on,
        channel=batch.channel,
        reference=batch.reference,
        total_yuan=batch.total_yuan,
        recorded_by=batch.recorded_by,
        created_at=batch.created_at,
        items=[DisbursementItemRead.model_validate(i) for i in items],
    )


# --- status notices ----------------------------------------------------------------------------


def notice_read(notice: StatusNotice, principal: Principal) -> NoticeRead:
    read = NoticeRead.model_validate(notice)
    return read if PII in principal.scopes else read.model_copy(update={"category": None})


async def list_notices(
    session: AsyncSession, principal: Principal, *, filters: dict[str, object]
) -> list[StatusNotice]:
    return list(await repository.notices(session, within=principal.jurisdiction, filters=filters))


async def appeal_notice(
    session: AsyncSession, principal: Principal, *, notice_id: UUID, request: NoticeAppeal
) -> StatusNotice:
    """申诉: the family (through the school) contests the change; payments go on meanwhile."""
    notice = await repository.notice(session, notice_id, within=principal.jurisdiction)
    if notice.status != "open":
        raise Conflict(
            "通知不可申诉", FieldError("notice_id", "notice_open", f"it is {notice.status}")
        )
    notice.status = "appealed"
    notice.appeal = request.reason
    await session.flush()
    return notice


async def resolve_notice(
    session: AsyncSession, principal: Principal, *, notice_id: UUID, request: NoticeResolve
) -> StatusNotice:
    notice = await repository.notice(session, notice_id, within=principal.jurisdiction)
    if notice.status != "appealed":
        raise Conflict(
            "只有申诉中的通知可以裁决",
            FieldError("notice_id", "notice_appealed", f"it is {notice.status}"),
        )
    notice.status = "resolved"
    notice.outcome = request.outcome
    notice.resolution = request.resolution
    await session.flush()
    return notice


# --- transfers ---------------------------------------------------------------------------------


async def transfer_student(
    session: AsyncSession, principal: Principal, *, student_id: UUID, request: TransferCreate
) -> StudentTransfer:
    """异地转学: the current county records the move; awards keep their county and stay readable
    by both; only the new county creates awards from now on."""
    student = await repository.student(session, student_id)
    principal.require_jurisdiction(student.county_code, field="student_id")
    if (student.county_code, student.school_code) == (
        request.to_county_code,
        request.to_school_code,
    ):
        raise RuleViolated(
            "转入学校与当前学校相同",
            FieldError("to_school_code", "transfer_changes_school"),
        )
    target = (await StudentRepository(session).schools([request.to_school_code])).get(
        request.to_school_code
    )
    problem = rules.transfer_target_error(
        target, to_county_code=request.to_county_code, level=Level(student.level)
    )
    if problem is not None:
        raise RuleViolated("转入学校不符合要求", problem)
    transfer = StudentTransfer(
        id=uuid7(),
        student_id=student.id,
        from_county_code=student.county_code,
        from_school_code=student.school_code,
        to_county_code=request.to_county_code,
        to_school_code=request.to_school_code,
        transferred_on=request.on,
        recorded_by=principal.client_id,
    )
    session.add(transfer)
    student.county_code = request.to_county_code
    student.school_code = request.to_school_code
    student.version += 1
    await session.flush()
    return transfer


async def list_transfers(
    session: AsyncSession, principal: Principal, *, student_id: UUID
) -> list[StudentTransfer]:
    student = await repository.student(session, student_id)
    transfers = list(await repository.transfers_of(session, student_id))
    counties = {student.county_code} | {t.from_county_code for t in transfers}
    if not any(principal.jurisdiction.covers_code(c) for c in counties):
        raise NotFound(f"student {student_id} not found")
    return transfers


# --- calendar ----------------------------------------------------------------------------------


async def put_calendar(
    session: AsyncSession, principal: Principal, *, year: int, request: CalendarPut
) -> WorkCalendar:
    """工作日历: a year's holidays and 调休 working weekends, replaced as a whole."""
    errors = [
        FieldError(f"{name}[{i}]", "date_in_year", f"{day} is not in {year}")
        for name, days in (("holidays", request.holidays), ("working_days", request.working_days))
        for i, day in enumerate(days)
        if day.year != year
    ]
    errors += [
        FieldError(f"working_days[{i}]", "make_up_day_is_weekend", f"{day} is a weekday")
        for i, day in enumerate(request.working_days)
        if day.weekday() < 5
    ]
    errors += [
        FieldError(f"working_days[{i}]", "holiday_or_working", f"{day} is also a holiday")
        for i, day in enumerate(request.working_days)
        if day in set(request.holidays)
    ]
    if errors:
        raise RuleViolated("工作日历有误", *errors)
    row = await session.get(WorkCalendar, year)
    values = {
        "holidays": sorted({d.isoformat() for d in request.holidays}),
        "working_days": sorted({d.isoformat() for d in request.working_days}),
        "source": request.source,
        "changed_by": principal.client_id,
    }
    if row is None:
        row = WorkCalendar(year=year, version=1, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.version += 1
    await session.flush()
    return row


async def get_calendar(session: AsyncSession, *, year: int) -> CalendarRead:
    row = await session.get(WorkCalendar, year)
    if row is None:
        raise NotFound(
            f"no working calendar for {year}",
            FieldError("year", "calendar_known", "公示 counts weekends only for this year"),
        )
    return CalendarRead(
        year=row.year,
        holidays=[date.fromisoformat(d) for d in row.holidays],
        working_days=[date.fromisoformat(d) for d in row.working_days],
        source=row.source,
        version=row.version,
        changed_by=row.changed_by,
        updated_at=row.updated_at,
    )
