"""Enrollment-facts use-cases: check applications' facts through data sharing and move them on.

`check` is set-based for any number of applications: plan the questions (the policy in force,
the tiers each application holds at its choices, the conditions of those tiers an agency holds),
ask (one by one or in batches), then write in a few statements — every lookup to the ledger,
each fact's status, the documents proved, the status moves and their audit trail. HTTP happens
before any row is written; nothing commits here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import policies
from enrollment.admission import rules as admission
from enrollment.admission.repository import ApplicationRepository
from enrollment.facts import asking, rules
from enrollment.facts.asking import Answered, Asked, Basis
from enrollment.facts.connector import FactConnector
from enrollment.facts.models import LEDGER
from enrollment.facts.repository import FactRepository
from junheng_kit.agency.facts import ADDRESS_FACTS, Question, proved_text
from junheng_kit.agency.ledger import LedgerRecord
from junheng_kit.agency.protocol import require_lawful_basis
from junheng_kit.timeutil import utcnow

Mode = Literal["one_by_one", "batch"]


@dataclass
class Checked:
    """What a check did: per application its outcome, and the counts (a job's progress)."""

    outcomes: dict[UUID, str] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Plan:
    row: Any
    outcome: rules.Outcome | None  # decided without asking (no policy, no basis, nothing needed)
    reason: str | None = None


def _basis(document: dict[str, Any], override: Basis | None) -> Basis | None:
    """The lookup's purpose and legal basis: the caller's, or the policy's `data_sharing`."""
    if override is not None:
        return override
    sharing = document.get("data_sharing")
    if not sharing:
        return None
    return Basis(sharing["purpose"], sharing["legal_basis"])


async def plan(
    session: AsyncSession,
    rows: Sequence[Any],
    *,
    today: date,
    basis: Basis | None = None,
    only: Sequence[str] | None = None,
) -> tuple[list[Plan], list[Asked]]:
    """The questions to ask (and the applications that need none, with why)."""
    primaries = {r.primary_school_code for r in rows if r.primary_school_code}
    nine_year = await ApplicationRepository(session).nine_year_schools(primaries)
    plans, asked = [], []
    parsed: dict[Any, tuple[list[admission.Tier], date]] = {}  # per policy version
    for row in rows:
        policy = await policies.policy_in_force(
            session, row.county_code, row.year, row.level, today
        )
        if policy is None:
            plans.append(
                Plan(row, "no_basis", "本县尚未发布招生政策 / no admission policy in force")
            )
            continue
        stated = _basis(policy.document, basis)
        if stated is None:
            plans.append(
                Plan(
                    row,
                    "no_basis",
                    "招生政策未载明数据共享的目的与依据 / the policy states no purpose and legal "
                    "basis for data sharing (data_sharing): clerks check the documents",
                )
            )
            continue
        if policy.id not in parsed:
            parsed[policy.id] = (
                policies.tiers_of(policy),
                date.fromisoformat(policy.document["reference_date"]),
            )
        tiers, reference = parsed[policy.id]
        declared = admission.applicant_facts(
            admission.Household.from_document(row.household),
            county_code=row.county_code,
            reference_date=reference,
        )
        held = admission.priorities(
            tiers,
            declared,
            row.choices,
            home_schools=frozenset(row.home_schools),
            hukou_schools=frozenset(row.hukou_schools),
            own_school=admission.own_nine_year_school(row.primary_school_code, nine_year),
        ).values()
        needed = rules.needed_conditions(tiers, held)
        if only is not None:
            needed = [n for n in needed if n.condition.fact in only]
        if not needed:
            plans.append(
                Plan(row, "nothing_to_check", "所持档次无需部门核验的条件 / no agency-held fact")
            )
            continue
        plans.append(Plan(row, None))
        for item in needed:
            c = item.condition
            question = Question(
                c.fact,
                c.op,
                c.value,
                row.county_code,
                reference,
                row.home_address if c.fact in ADDRESS_FACTS else None,
            )
            asked.append(asking.ask(row.id, row.citizen_id, row.child_name, item, question, stated))
    return plans, asked


def _fact_row(answer: Answered, seq: int, at: Any) -> dict[str, Any]:
    asked = answer.asked
    status = rules.fact_status(answer.answered, answer.holds)
    c = asked.needed.condition
    if status == "unavailable":
        detail = f"{answer.outcome}: {answer.detail}"[:300]
        proved = None
    else:
        detail = None
        proved = proved_text(asked.question, answer.holds)[:300]
    return {
        "application_id": asked.application_id,
        "condition": asked.needed.key,
        "fact": c.fact,
        "op": c.op,
        "value": int(c.value),
        "agency": asked.needed.agency,
        "status": status,
        "rule": asked.needed.rule,
        "proved": proved,
        "detail": detail,
        "assertion_id": answer.answer_id,
        "ledger_seq": seq,
        "checked_at": at,
    }


async def _required(session: AsyncSession, row: Any, today: date) -> tuple[str, ...]:
    """The checklist the policy in force asks of this family (read once per transaction)."""
    policy = await policies.policy_in_force(session, row.county_code, row.year, row.level, today)
    migrant = row.household["hukou"]["county_code"] != row.county_code
    return policies.required_documents(policy, migrant)


@dataclass(frozen=True, slots=True)
class _Decided:
    reason: str
    to: str | None
    confirmations: list[dict[str, Any]]
    trail: list[dict[str, Any]]


def _decide(
    row: Any,
    facts: Sequence[dict[str, Any]],
    outcome: rules.Outcome,
    required: Sequence[str],
    *,
    actor: str,
    at: Any,
) -> _Decided:
    """One application's documents proved, status path and reason (pure over its facts)."""
    statuses: dict[str, rules.FactStatus] = {}
    for f in facts:  # a fact asked twice (two thresholds): the worse status counts
        if statuses.get(f["fact"]) in (None, "verified"):
            statuses[f["fact"]] = f["status"]
    proved = rules.documents_proved(statuses)
    confirmations = []
    for document in proved:
        if document not in required:
            continue
        agencies = sorted(
            {f["agency"] for f in facts if rules.FACT_DOCUMENT[f["fact"]] == document}
        )
        confirmations.append(
            {
                "application_id": row.id,
                "document": document,
                "result": "confirmed",
                "source": f"数据共享 data sharing: {', '.join(agencies)}"[:100],
                "reason": None,
                "checked_by": actor[:100],
                "checked_at": at,
            }
        )
    missing = [d for d in required if d not in proved]
    problems = [
        (f["fact"], f["agency"], f["detail"] or f["proved"] or "")
        for f in facts
        if f["status"] != "verified"
    ]
    reason = rules.reason(outcome, problems, missing)
    path = rules.path_to(row.status, outcome, documents_missing=bool(missing))
    trail, previous = [], row.status
    for step in path:
        trail.append(
            {
                "application_id": row.id,
                "at": at,
                "actor": actor[:100],
                "action": "status_changed",
                "from_status": previous,
                "to_status": step,
                "reason": reason,
                "detail": {"by": "facts", "outcome": outcome},
            }
        )
        previous = step
    return _Decided(reason, path[-1] if path else None, confirmations, trail)


async def record(
    session: AsyncSession,
    plans: Sequence[Plan],
    answers: Sequence[Answered],
    *,
    actor: str,
    today: date,
) -> Checked:
    """Write what the answers say, set-based: ledger, facts, documents, status moves, trail."""
    repository = FactRepository(session)
    now = utcnow()
    rows = {p.row.id: p.row for p in plans}
    seqs = await LEDGER.append_many(
        session,
        [
            LedgerRecord(
                kind="lookup",
                actor=actor,
                county_code=rows[a.asked.application_id].county_code,
                agency=a.asked.needed.agency,
                purpose=a.asked.basis.purpose,
                legal_basis=a.asked.basis.legal_basis,
                consent_ref=a.asked.basis.consent_ref,
                request_id=a.asked.request_id,
                answer_id=a.answer_id,
                outcome=a.outcome,
                student_key=rows[a.asked.application_id].child_key,
                detail=(f"{a.asked.needed.key} {a.detail}".strip())[:300],
            )
            for a in answers
        ],
    )
    fact_rows = [_fact_row(a, seq, now) for a, seq in zip(answers, seqs, strict=True)]
    by_app: dict[UUID, list[dict[str, Any]]] = {}
    for fact in fact_rows:
        by_app.setdefault(fact["application_id"], []).append(fact)

    checked = Checked()
    checks: list[dict[str, Any]] = []
    confirmations: list[dict[str, Any]] = []
    trail: list[dict[str, Any]] = []
    moves: dict[tuple[str, str, str | None], list[UUID]] = {}
    for p in plans:
        row, facts = p.row, by_app.get(p.row.id, [])
        outcome = p.outcome or rules.outcome_of([f["status"] for f in facts])
        reason = p.reason
        checked.outcomes[row.id] = outcome
        checked.counts[outcome] += 1
        if p.outcome is None:
            required = await _required(session, row, today)
            decided = _decide(row, facts, outcome, required, actor=actor, at=now)
            reason = decided.reason
            confirmations += decided.confirmations
            trail += decided.trail
            if decided.to is not None:
                moves.setdefault((row.status, decided.to, reason), []).append(row.id)
        checks.append(
            {"application_id": row.id, "outcome": outcome, "reason": reason, "checked_at": now}
        )
    await repository.replace([p.row.id for p in plans], fact_rows, checks)
    await repository.confirm_documents(confirmations)
    moved: set[UUID] = set()
    for (came_from, to, reason), ids in moves.items():
        moved |= await repository.move(ids, came_from=came_from, to=to, reason=reason, at=now)
    await repository.record_trail([t for t in trail if t["application_id"] in moved])
    return checked


async def prepare(
    session: AsyncSession,
    ids: Sequence[UUID],
    *,
    today: date,
    basis: Basis | None = None,
    only: Sequence[str] | None = None,
) -> tuple[list[Plan], list[Asked]]:
    """Read the applications and plan their questions (reads only)."""
    rows = await FactRepository(session).subjects(ids)
    return await plan(session, rows, today=today, basis=basis, only=only)


async def check(
    session: AsyncSession,
    connector: FactConnector,
    ids: Sequence[UUID],
    *,
    actor: str,
    today: date,
    mode: Mode,
    batch_size: int = 5000,
    basis: Basis | None = None,
    only: Sequence[str] | None = None,
) -> Checked:
    """Check these applications' facts: plan, ask, record (in the caller's transaction)."""
    if basis is not None:
        require_lawful_basis(basis.purpose, basis.legal_basis, basis.consent_ref)
    plans, asked = await prepare(session, ids, today=today, basis=basis, only=only)
    if mode == "batch":
        answers = await asking.ask_in_batches(connector, asked, batch_size=batch_size)
    else:
        answers = await asking.ask_one_by_one(connector, asked)
    return await record(session, plans, answers, actor=actor, today=today)
