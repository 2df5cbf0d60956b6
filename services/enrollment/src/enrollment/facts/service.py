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
    """The questions to ask (and the applications that need none, with why).

    The conditions an application needs depend only on the policy and the inputs of the pure
    admission rules (declared household, choices, zones, own school): worked out once per
    distinct combination (a county's families share most of them)."""
    primaries = {r.primary_school_code for r in rows if r.primary_school_code}
    nine_year = await ApplicationRepository(session).nine_year_schools(primaries)
    plans, asked = [], []
    policies_of: dict[tuple[str, int, str], Any] = {}
    parsed: dict[Any, tuple[list[admission.Tier], date]] = {}  # per policy version
    needs: dict[tuple[Any, ...], list[rules.Needed]] = {}
    for row in rows:
        key = (row.county_code, row.year, row.level)
        if key not in policies_of:
            policies_of[key] = await policies.policy_in_force(session, *key, today)
        policy = policies_of[key]
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
        household = admission.Household.from_document(row.household)
        own = admission.own_nine_year_school(row.primary_school_code, nine_year)
        inputs = (
            policy.id,
            household,
            row.county_code,
            tuple(row.choices),
            tuple(row.home_schools),
            tuple(row.hukou_schools),
            own,
        )
        needed = needs.get(inputs)
        if needed is None:
            declared = admission.applicant_facts(
                household, county_code=row.county_code, reference_date=reference
            )
            held = admission.priorities(
                tiers,
                declared,
                row.choices,
                home_schools=frozenset(row.home_schools),
                hukou_schools=frozenset(row.hukou_schools),
                own_school=own,
            ).values()
            needed = rules.needed_conditions(tiers, held)
            if only is not None:
                needed = [n for n in needed if n.condition.fact in only]
            needs[inputs] = needed
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


class _Conditions(dict[int, dict[str, Any]]):
    """A condition's columns (key, fact, op, value, agency, rule), worked out once per needed
    condition of a check (the plan shares them between applications)."""

    def of(self, needed: rules.Needed) -> dict[str, Any]:
        found = self.get(id(needed))
        if found is None:
            c = needed.condition
            found = self[id(needed)] = {
                "condition": needed.key,
                "fact": c.fact,
                "op": c.op,
                "value": int(c.value),
                "agency": needed.agency,
                "rule": needed.rule,
            }
        return found


def _fact_row(answer: Answered, seq: int, at: Any, condition: dict[str, Any]) -> dict[str, Any]:
    asked = answer.asked
    status = rules.fact_status(answer.answered, answer.holds)
    if status == "unavailable":
        detail = f"{answer.outcome}: {answer.detail}"[:300]
        proved = None
    else:
        detail = None
        proved = proved_text(asked.question, answer.holds)[:300]
    return {
        "application_id": asked.application_id,
        **condition,
        "status": status,
        "proved": proved,
        "detail": detail,
        "assertion_id": answer.answer_id,
        "ledger_seq": seq,
        "checked_at": at,
    }


async def _required(
    session: AsyncSession, row: Any, today: date, seen: dict[tuple[Any, ...], tuple[str, ...]]
) -> tuple[str, ...]:
    """The checklist the policy in force asks of this family (once per kind of family)."""
    migrant = row.household["hukou"]["county_code"] != row.county_code
    key = (row.county_code, row.year, row.level, migrant)
    if key not in seen:
        policy = await policies.policy_in_force(session, *key[:3], today)
        seen[key] = policies.required_documents(policy, migrant)
    return seen[key]


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What an application's facts decide: the reason, the status path, the checklist
    documents confirmed (document, source) — the same for every family with the same facts."""

    reason: str
    path: tuple[str, ...]
    confirmed: tuple[tuple[str, str], ...]


FactsSeen = tuple[tuple[str, str, str, str], ...]  # (fact, agency, status, detail or proved)


def _verdict(
    status: str, seen: FactsSeen, outcome: rules.Outcome, required: Sequence[str]
) -> _Verdict:
    """Pure over one application's facts (as `FactsSeen`), its status and checklist."""
    statuses: dict[str, rules.FactStatus] = {}
    for fact, _, fact_status, _ in seen:  # a fact asked twice: the worse status counts
        if statuses.get(fact) in (None, "verified"):
            statuses[fact] = fact_status  # type: ignore[assignment]
    proved = rules.documents_proved(statuses)
    confirmed = []
    for document in proved:
        if document not in required:
            continue
        agencies = sorted({a for fact, a, _, _ in seen if rules.FACT_DOCUMENT[fact] == document})
        confirmed.append((document, f"数据共享 data sharing: {', '.join(agencies)}"[:100]))
    missing = [d for d in required if d not in proved]
    problems = [(fact, agency, text) for fact, agency, st, text in seen if st != "verified"]
    reason = rules.reason(outcome, problems, missing)
    path = rules.path_to(status, outcome, documents_missing=bool(missing))
    return _Verdict(reason, tuple(path), tuple(confirmed))


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
    verdicts: dict[tuple[Any, ...], _Verdict],
) -> _Decided:
    """One application's documents proved, status path and reason (pure over its facts; the
    verdict worked out once per distinct (status, facts, outcome, checklist) in `verdicts`)."""
    seen: FactsSeen = tuple(
        (f["fact"], f["agency"], f["status"], f["detail"] or f["proved"] or "") for f in facts
    )
    key = (row.status, seen, outcome, required)
    verdict = verdicts.get(key)
    if verdict is None:
        verdict = verdicts[key] = _verdict(row.status, seen, outcome, required)
    confirmations = [
        {
            "application_id": row.id,
            "document": document,
            "result": "confirmed",
            "source": source,
            "reason": None,
            "checked_by": actor[:100],
            "checked_at": at,
        }
        for document, source in verdict.confirmed
    ]
    trail, previous = [], row.status
    for step in verdict.path:
        trail.append(
            {
                "application_id": row.id,
                "at": at,
                "actor": actor[:100],
                "action": "status_changed",
                "from_status": previous,
                "to_status": step,
                "reason": verdict.reason,
                "detail": {"by": "facts", "outcome": outcome},
            }
        )
        previous = step
    return _Decided(
        verdict.reason, verdict.path[-1] if verdict.path else None, confirmations, trail
    )


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
    conditions = _Conditions()
    columns = [conditions.of(a.asked.needed) for a in answers]
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
                detail=(f"{c['condition']} {a.detail}".strip())[:300],
            )
            for a, c in zip(answers, columns, strict=True)
        ],
    )
    fact_rows = [
        _fact_row(a, seq, now, c) for a, seq, c in zip(answers, seqs, columns, strict=True)
    ]
    by_app: dict[UUID, list[dict[str, Any]]] = {}
    for fact in fact_rows:
        by_app.setdefault(fact["application_id"], []).append(fact)

    checked = Checked()
    checks: list[dict[str, Any]] = []
    confirmations: list[dict[str, Any]] = []
    trail: list[dict[str, Any]] = []
    moves: dict[tuple[str, str, str | None], list[UUID]] = {}
    checklists: dict[tuple[Any, ...], tuple[str, ...]] = {}
    verdicts: dict[tuple[Any, ...], _Verdict] = {}
    for p in plans:
        row, facts = p.row, by_app.get(p.row.id, [])
        outcome = p.outcome or rules.outcome_of([f["status"] for f in facts])
        reason = p.reason
        checked.outcomes[row.id] = outcome
        checked.counts[outcome] += 1
        if p.outcome is None:
            required = await _required(session, row, today, checklists)
            decided = _decide(row, facts, outcome, required, actor=actor, at=now, verdicts=verdicts)
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
