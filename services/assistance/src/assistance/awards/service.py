"""Award workflow use-cases: proposals, applications, review, 公示, approval, disbursement,
status notices and transfers. Services never commit: the caller's transaction holds the rows
and their outbox events together."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards import repository
from assistance.awards.rules import AwardProposal, AwardStatus, StatusChange
from assistance.programmes import rules as programme_rules
from assistance.programmes.service import standards_by_programme
from junheng_kit.ids import uuid7
from junheng_kit.problems import RuleViolated
from junheng_kit.timeutil import utcnow

log = logging.getLogger("assistance.awards")

DEFAULT_NOTICE_GRACE_DAYS = 30


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
    awards: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    skipped = {"duplicate": 0, "not_enrolled": 0, "no_standard": 0, "not_covered": 0}
    seen = set(existing)
    for proposal in proposals:
        key = (proposal.student_id, proposal.programme_code, proposal.school_year)
        if key in seen:
            skipped["duplicate"] += 1
            continue
        student = students.get(proposal.student_id)
        if student is None or student.status != "enrolled":
            skipped["not_enrolled"] += 1
            continue
        standard = programme_rules.standard_in_force(
            standards.get(proposal.programme_code, []),
            county_code=student.county_code,
            on=programme_rules.school_year_start(proposal.school_year),
        )
        if standard is None:
            skipped["no_standard"] += 1
            continue
        tier = programme_rules.highest_tier(standard)
        try:
            amount = programme_rules.yearly_amount(
                standard,
                level=student.level,
                boarding=student.boarding,
                tier=tier.code if tier else None,
            )
        except RuleViolated:
            skipped["not_covered"] += 1
            continue
        seen.add(key)
        award_id = uuid7()
        awards.append(
            {
                "id": award_id,
                "student_id": proposal.student_id,
                "county_code": student.county_code,
                "school_code": student.school_code,
                "programme_code": proposal.programme_code,
                "school_year": proposal.school_year,
                "category": proposal.category,
                "tier": tier.code if tier else None,
                "level": student.level,
                "boarding": student.boarding,
                "amount_yuan": amount,
                "paid_yuan": Decimal("0.00"),
                "standard_id": standard.id,
                "source": "auto",
                "evidence": list(proposal.evidence),
                "status": AwardStatus.PROPOSED.value,
                "publicity_batch_id": None,
                "review": None,
                "approved_on": None,
                "approved_by": None,
                "created_by": actor,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        history.append(
            {
                "award_id": award_id,
                "from_status": None,
                "to_status": AwardStatus.PROPOSED.value,
                "actor": actor,
                "reason": f"免申即享: {proposal.category} ({', '.join(proposal.evidence)})"[:500],
                "at": now,
            }
        )
    await repository.insert_awards(session, awards, history)
    log.info("awards.proposed", extra={"created": len(awards), **skipped})
    return len(awards)


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
    log.info("status_notices.raised", extra={"created": len(rows)})
    return len(rows)
