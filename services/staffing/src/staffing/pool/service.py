"""编制周转池 use-cases: lend pool posts to a school and take them back, each a quota-ledger
entry (so the loan counts in the school's approved posts while it is out), in the caller's
transaction."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError, NotFound, RuleViolated
from staffing.policy.service import policy_book
from staffing.pool import rules
from staffing.pool.models import QuotaLoan
from staffing.pool.schemas import QuotaLoanCreate, QuotaLoanRead, QuotaLoanReturn, QuotaPoolRead
from staffing.quotas import repository as quotas
from staffing.quotas import service as quota_service
from staffing.quotas.schemas import LedgerLine, QuotaLedgerCreate

POOL_KEY = "quota_turnover_pool_posts"


def loan_read(loan: QuotaLoan, *, on: date) -> QuotaLoanRead:
    return QuotaLoanRead(
        id=loan.id,
        county_code=loan.county_code,
        school_code=loan.school_code,
        posts=loan.posts,
        reason=loan.reason,
        reference=loan.reference,
        lent_on=loan.lent_on,
        due_on=loan.due_on,
        returned_on=loan.returned_on,
        lent_by=loan.lent_by,
        returned_by=loan.returned_by,
        created_at=loan.created_at,
        version=loan.version,
        is_overdue=rules.is_overdue(loan.due_on, loan.returned_on, on),
    )


async def _loans(session: AsyncSession, county_code: str) -> list[QuotaLoan]:
    return list(
        await session.scalars(
            select(QuotaLoan)
            .where(QuotaLoan.county_code == county_code)
            .order_by(QuotaLoan.lent_on, QuotaLoan.id)
        )
    )


async def _pool_posts(session: AsyncSession, county_code: str, on: date) -> int | None:
    row = (await policy_book(session, county_code)).find(POOL_KEY, county_code, on)
    return int(row.decimal) if row is not None else None


async def _ledger(
    session: AsyncSession,
    principal: Principal,
    loan: QuotaLoan,
    *,
    change: int,
    on: date,
    what: str,
) -> None:
    """The loan's change of approved posts, as a quota-ledger adjustment that names the loan."""
    decision = QuotaLedgerCreate.model_construct(
        year=rules.school_year_of(on),
        kind="adjustment",
        reason=f"编制周转池{what}: {loan.reason}"[:500],
        reference=f"quota-loan:{loan.id}",
        entries=[LedgerLine(school_code=loan.school_code, change=change)],
    )
    await quota_service.record_ledger(
        session, principal, county_code=loan.county_code, request=decision
    )


async def lend(
    session: AsyncSession, principal: Principal, *, county_code: str, request: QuotaLoanCreate
) -> QuotaLoan:
    """借出: posts from the county's pool to a school until the due date; refused (422) when the
    pool, as in force on the lending date, holds fewer posts than asked."""
    principal.require_jurisdiction(county_code, field="county_code")
    schools = {s.school_code for s in await quotas.county_schools(session, county_code)}
    errors = rules.loan_date_errors(request.lent_on, request.due_on)
    if request.school_code not in schools:
        errors.append(
            FieldError(
                "school_code",
                "school_in_county",
                t(
                    f"{request.school_code} 不在 {county_code}",
                    f"{request.school_code} is not in {county_code}",
                ),
            )
        )
    if errors:
        raise RuleViolated(
            t("the loan of pooled posts (周转编制) was refused", "周转编制借用被拒绝"), *errors
        )
    pool = await _pool_posts(session, county_code, request.lent_on)
    if pool is None:
        raise RuleViolated(
            t("the county has no pool of posts (编制周转池)", "本县未设编制周转池"),
            FieldError(
                "county_code",
                f"{POOL_KEY}_required",
                t(
                    f"请先为 {county_code} 设置 {POOL_KEY}（POST …/policy-parameters）",
                    f"set {POOL_KEY} for {county_code} (POST …/policy-parameters) first",
                ),
            ),
        )
    # REVIEW(#6): two loans to different schools committed at the same moment can both see the
    # same free posts (the ledger's per-school sequence only serialises one school); a county
    # row lock (SELECT … FOR UPDATE on PostgreSQL) would close it.
    active = [loan.posts for loan in await _loans(session, county_code) if loan.returned_on is None]
    available = rules.available_posts(pool, active)
    if request.posts > available:
        raise RuleViolated(
            t("the pool (周转池) has too few posts", "周转池编制不足"),
            FieldError(
                "posts",
                "quota_pool_available",
                t(
                    f"周转池共有 {pool} 个编制，其中 {available} 个未借出",
                    f"the pool holds {pool} posts and {available} are not lent out",
                ),
            ),
        )
    loan = QuotaLoan(
        county_code=county_code,
        school_code=request.school_code,
        posts=request.posts,
        reason=request.reason,
        reference=request.reference,
        lent_on=request.lent_on,
        due_on=request.due_on,
        lent_by=principal.client_id,
    )
    session.add(loan)
    await session.flush()
    await _ledger(session, principal, loan, change=loan.posts, on=loan.lent_on, what="借出")
    return loan


async def return_loan(
    session: AsyncSession,
    principal: Principal,
    *,
    loan_id: UUID,
    request: QuotaLoanReturn,
    if_match: int | None,
) -> QuotaLoan:
    """归还: the posts leave the school's approved quota and go back to the pool."""
    loan = await session.scalar(
        select(QuotaLoan).where(
            QuotaLoan.id == loan_id, principal.jurisdiction.covers(QuotaLoan.county_code)
        )
    )
    if loan is None:
        raise NotFound(t(f"周转编制借用 {loan_id} 不存在", f"quota loan {loan_id} not found"))
    require_version(t(f"周转编制借用 {loan_id}", f"quota loan {loan_id}"), loan.version, if_match)
    if loan.returned_on is not None:
        raise Conflict(
            t("these pooled posts (周转编制) were already returned", "该周转编制已归还"),
            FieldError(
                "returned_on",
                "loan_returned_once",
                t(
                    f"已于 {loan.returned_on.isoformat()} 归还",
                    f"returned on {loan.returned_on.isoformat()}",
                ),
            ),
        )
    if request.returned_on < loan.lent_on:
        raise RuleViolated(
            t("归还日期早于借出日期", "the return date is before the lending date"),
            FieldError(
                "returned_on",
                "return_after_lending",
                t(
                    f"编制于 {loan.lent_on.isoformat()} 借出",
                    f"the posts were lent on {loan.lent_on.isoformat()}",
                ),
            ),
        )
    loan.returned_on, loan.returned_by = request.returned_on, principal.client_id
    await session.flush()
    await _ledger(session, principal, loan, change=-loan.posts, on=loan.returned_on, what="归还")
    return loan


async def pool_view(
    session: AsyncSession, principal: Principal, *, county_code: str, on: date
) -> QuotaPoolRead:
    """The pool on a date: its size, posts out, what is left, and every loan flagged overdue."""
    principal.require_jurisdiction(county_code, field="county_code")
    loans = await _loans(session, county_code)
    out = [
        loan.posts
        for loan in loans
        if loan.lent_on <= on and (loan.returned_on is None or loan.returned_on > on)
    ]
    pool = await _pool_posts(session, county_code, on)
    reads = [loan_read(loan, on=on) for loan in loans]
    return QuotaPoolRead(
        county_code=county_code,
        on=on,
        pool_posts=pool,
        lent=sum(out),
        available=rules.available_posts(pool, out) if pool is not None else None,
        overdue=sum(r.is_overdue for r in reads),
        loans=reads,
    )
