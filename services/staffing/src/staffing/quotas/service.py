"""编制 use-cases: enter enrolment, compute the county's quotas, keep the ledger, propose 统筹."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.staffing import QuotaApproved, QuotaApprovedData
from junheng_kit.auth import Principal
from junheng_kit.i18n import t as tt
from junheng_kit.messaging.bulk import add_events
from junheng_kit.pagination import cut_page, decode_uuid_cursor
from junheng_kit.problems import FieldError, RuleViolated
from staffing.classes.repository import classes_by_school
from staffing.policy.service import policy_book, row_read
from staffing.quotas import repository, rules
from staffing.quotas.models import QuotaLedgerEntry
from staffing.quotas.schemas import (
    CountyQuotaRead,
    CountyQuotaTotals,
    EnrolmentList,
    EnrolmentPut,
    EnrolmentRead,
    LedgerEntryRead,
    LedgerLine,
    LedgerPage,
    PoolingProposalRead,
    PostTransferRead,
    QuotaComponentRead,
    QuotaLedgerCreate,
    SchoolQuotaRead,
)
from staffing.teachers.repository import rural_schools


def school_year_start(year: int) -> date:
    """The date a school year's quota is computed for: 1 September (domain.md §1.5)."""
    return date(year, 9, 1)


async def put_enrolment(
    session: AsyncSession, principal: Principal, *, county_code: str, request: EnrolmentPut
) -> int:
    """Replace the listed schools' enrolment for the year; all rows or none."""
    principal.require_jurisdiction(county_code, field="county_code")
    known = {s.school_code for s in await repository.county_schools(session, county_code)}
    errors = [
        FieldError(
            f"schools[{i}].school_code",
            "school_in_county",
            tt(
                f"学校名录副本中 {s.school_code} 不是 {county_code} 的学校",
                f"{s.school_code} is not a school of {county_code} in the registry copy",
            ),
        )
        for i, s in enumerate(request.schools)
        if s.school_code not in known
    ]
    if errors:
        raise RuleViolated(tt("学校不属于本县", "the school is not in this county"), *errors)
    rows = [
        {
            **entry.model_dump(),
            "year": request.year,
            "county_code": county_code,
            "entered_by": principal.client_id,
        }
        for entry in request.schools
    ]
    await repository.replace_enrolments(session, request.year, rows)
    return len(rows)


async def list_enrolment(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int
) -> EnrolmentList:
    principal.require_jurisdiction(county_code, field="county_code")
    rows = await repository.enrolments(session, county_code, year)
    return EnrolmentList(
        items=[EnrolmentRead.model_validate(r, from_attributes=True) for r in rows]
    )


@dataclass(frozen=True, slots=True)
class QuotaView:
    county: rules.CountyQuota
    policy: rules.QuotaPolicy
    inputs: dict[str, rules.SchoolQuotaInput]
    names: dict[str, str]
    without_enrolment: list[str]


async def quota_inputs(
    session: AsyncSession, county_code: str, year: int
) -> tuple[list[rules.SchoolQuotaInput], dict[str, str], list[str]]:
    """Each school's quota input for the year: enrolment, approved posts, staff by status."""
    schools = await repository.county_schools(session, county_code)
    entered = {e.school_code: e for e in await repository.enrolments(session, county_code, year)}
    approved = await repository.approved_posts(session, county_code, year)
    staff = await repository.staff_counts(session, county_code)
    rural = await rural_schools(session, list(entered))
    planned = await classes_by_school(session, list(entered), year=year)
    inputs = []
    for school in schools:
        entry = entered.get(school.school_code)
        if entry is None:
            continue
        counts = staff.get(school.school_code, repository.StaffCounts())
        area = entry.area or ("rural" if school.school_code in rural else "urban")
        classes = {
            level: given if given is not None else planned.get((school.school_code, level), 0)
            for level, given in (
                ("primary", entry.primary_classes),
                ("junior", entry.junior_classes),
                ("senior", entry.senior_classes),
            )
        }
        inputs.append(
            rules.SchoolQuotaInput(
                school_code=school.school_code,
                area=area,  # type: ignore[arg-type]
                pupils={
                    "primary": entry.primary_pupils,
                    "junior": entry.junior_pupils,
                    "senior": entry.senior_pupils,
                },
                classes=classes,  # type: ignore[arg-type]
                boarding_pupils=entry.boarding_pupils,
                special_education_pupils=entry.special_education_pupils,
                approved=approved.get(school.school_code),
                in_post=counts.in_post,
                substitutes=counts.substitutes,
                seconded_out=counts.seconded_out,
            )
        )
    names = {s.school_code: s.name for s in schools}
    missing = [s.school_code for s in schools if s.school_code not in entered]
    return inputs, names, missing


async def quota_view(session: AsyncSession, county_code: str, year: int) -> QuotaView:
    inputs, names, missing = await quota_inputs(session, county_code, year)
    book = await policy_book(session, county_code)
    policy = rules.quota_policy(book, county_code, school_year_start(year), inputs)
    return QuotaView(
        county=rules.county_quota(inputs, policy),
        policy=policy,
        inputs={i.school_code: i for i in inputs},
        names=names,
        without_enrolment=missing,
    )


async def county_quotas(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int
) -> CountyQuotaRead:
    """编制核定 per school and for the county, from the policy in force on 1 September."""
    principal.require_jurisdiction(county_code, field="county_code")
    view = await quota_view(session, county_code, year)
    county = view.county
    return CountyQuotaRead(
        county_code=county_code,
        year=year,
        on=school_year_start(year),
        quota_method=view.policy.method,
        rounding=view.policy.rounding,
        totals=CountyQuotaTotals(
            required=county.required,
            approved=county.approved,
            in_post=county.in_post,
            substitutes=county.substitutes,
            seconded_out=county.seconded_out,
            vacant_posts=county.vacant_posts,
            over_schools=county.over_schools,
            under_schools=county.under_schools,
            unfilled_quota_schools=county.unfilled_quota_schools,
            not_approved_schools=county.not_approved_schools,
        ),
        schools=[
            SchoolQuotaRead(
                school_code=q.school_code,
                name=view.names[q.school_code],
                area=view.inputs[q.school_code].area,
                pupils=dict(view.inputs[q.school_code].pupils),
                small_school=q.small_school,
                required=q.required,
                required_exact=q.required_exact.quantize(rules.EXACT_PLACES),
                components=[
                    QuotaComponentRead(
                        basis=c.basis,
                        exact=c.exact.quantize(rules.EXACT_PLACES),
                        explanation=c.explanation,
                    )
                    for c in q.components
                ],
                approved=q.approved,
                in_post=q.in_post,
                substitutes=q.substitutes,
                seconded_out=q.seconded_out,
                status=q.status,
                balance=q.balance,
                vacant_posts=q.vacant_posts,
                staff_over_approved=q.staff_over_approved,
                unfilled_quota=q.unfilled_quota,
                holds_seconded_staff=q.holds_seconded_staff,
            )
            for q in county.schools
        ],
        schools_without_enrolment=view.without_enrolment,
        policy=[row_read(r) for r in view.policy.sources],
    )


async def record_ledger(
    session: AsyncSession, principal: Principal, *, county_code: str, request: QuotaLedgerCreate
) -> list[QuotaLedgerEntry]:
    """Append one ledger entry per line (who, when, why) and announce each school's new
    approved posts; a line that would leave a school below 0 posts, a school outside the county,
    or a year before the school's newest entry refuses the whole decision."""
    principal.require_jurisdiction(county_code, field="county_code")
    known = {s.school_code for s in await repository.county_schools(session, county_code)}
    heads = await repository.ledger_heads(session, [e.school_code for e in request.entries])
    errors: list[FieldError] = []
    entries: list[QuotaLedgerEntry] = []
    for i, line in enumerate(request.entries):
        where = f"entries[{i}]"
        if line.school_code not in known:
            errors.append(
                FieldError(
                    f"{where}.school_code",
                    "school_in_county",
                    tt(
                        f"{line.school_code} 不是 {county_code} 的学校",
                        f"{line.school_code} is not a school of {county_code}",
                    ),
                )
            )
            continue
        head = heads.get(line.school_code)
        if head is not None and request.year < head.year:
            errors.append(
                FieldError(
                    "year",
                    "ledger_append_only",
                    tt(
                        f"{line.school_code} 已有 {head.year} 年的记录；台账只能向前追加（请为当"
                        "年记录新条目）",
                        f"{line.school_code} already has an entry for {head.year}; the ledger only "
                        "grows forward (record a new entry for the current year instead)",
                    ),
                )
            )
            continue
        before = head.approved_after if head is not None else 0
        after = _after(line, before)
        if after < 0:
            errors.append(
                FieldError(
                    f"{where}.change",
                    "approved_posts_non_negative",
                    tt(
                        f"{before} 个核定编制 {line.change:+d} 后小于 0",
                        f"{before} approved posts {line.change:+d} is below 0",
                    ),
                )
            )
            continue
        entries.append(
            QuotaLedgerEntry(
                county_code=county_code,
                school_code=line.school_code,
                sequence=(head.sequence if head is not None else 0) + 1,
                year=request.year,
                kind=request.kind,
                change=after - before,
                approved_after=after,
                reason=request.reason,
                reference=request.reference,
                recorded_by=principal.client_id,
            )
        )
    if errors:
        raise RuleViolated(
            tt("the staffing ledger (编制台账) entry was refused", "编制台账记录被拒绝"), *errors
        )
    session.add_all(entries)
    await session.flush()  # a concurrent entry for the same school takes the same sequence
    await add_events(
        session,
        [
            QuotaApproved.of(
                subject=e.school_code,
                jurisdiction=county_code,
                data=QuotaApprovedData(
                    entry_id=str(e.id),
                    school_code=e.school_code,
                    county_code=county_code,
                    year=e.year,
                    approved_posts=e.approved_after,
                    change=e.change,
                    kind=e.kind,
                    reason=e.reason,
                    reference=e.reference,
                    version=e.sequence,
                ),
            )
            for e in entries
        ],
    )
    return entries


def _after(line: LedgerLine, before: int) -> int:
    if line.approved_posts is not None:
        return line.approved_posts
    return before + (line.change or 0)


async def ledger(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    school_code: str | None,
    year: int | None,
    cursor: str | None,
    limit: int,
) -> LedgerPage:
    principal.require_jurisdiction(county_code, field="county_code")
    rows = await repository.ledger_page(
        session,
        county_code,
        school_code=school_code,
        year=year,
        after=decode_uuid_cursor(cursor),
        limit=limit,
    )
    rows, next_cursor = cut_page(rows, limit, key=lambda r: r.id)
    return LedgerPage(
        items=[LedgerEntryRead.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


async def pooling_proposal(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int
) -> PoolingProposalRead:
    """统筹 proposal over the quota view (greedy; see rules.pooling_proposal)."""
    principal.require_jurisdiction(county_code, field="county_code")
    view = await quota_view(session, county_code, year)
    proposal = rules.pooling_proposal(view.county, view.inputs, view.policy.small_school_pupils)
    changes: dict[str, int] = {}
    for t in proposal.transfers:
        changes[t.from_school] = changes.get(t.from_school, 0) - t.posts
        changes[t.to_school] = changes.get(t.to_school, 0) + t.posts
    ledger_request: dict[str, Any] | None = (
        {
            "year": year,
            "kind": "pooling",
            "reason": f"{year}学年县域编制统筹（县管校聘）",
            "entries": [{"school_code": c, "change": n} for c, n in sorted(changes.items())],
        }
        if changes
        else None
    )
    return PoolingProposalRead(
        county_code=county_code,
        year=year,
        transfers=[
            PostTransferRead(
                from_school=t.from_school,
                to_school=t.to_school,
                posts=t.posts,
                vacant_posts=t.vacant_posts,
            )
            for t in proposal.transfers
        ],
        approved_before=dict(proposal.approved_before),
        approved_after=dict(proposal.approved_after),
        unmet_deficit=dict(proposal.unmet_deficit),
        remaining_surplus=dict(proposal.remaining_surplus),
        posts_moved=proposal.posts_moved,
        county_approved_total=proposal.county_approved_total,
        ledger_request=QuotaLedgerCreate.model_validate(ledger_request) if ledger_request else None,
    )
