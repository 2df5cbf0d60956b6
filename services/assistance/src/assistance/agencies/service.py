"""Agency use-cases: one-person lookups and manual evidence (category-list refreshes: lists.py).

Every call to an agency is appended to the ledger in the caller's transaction, whatever its
outcome (matched, not matched, unavailable, refused), so the family's access log is complete.
HTTP happens before any row is written; the writes then run in one flush.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.connector import AgencyConnector, AgencyReply
from assistance.agencies.models import AgencyAssertion
from assistance.agencies.repository import AgencyRepository
from assistance.categories import AGENCIES, CATEGORIES
from assistance.ledger import service as ledger
from assistance.ledger.service import LedgerRecord
from assistance.students.models import Student, citizen_id_index
from junheng_kit.agency import protocol as rules
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.identifiers import student_key
from junheng_kit.ids import uuid7
from junheng_kit.problems import DomainError, FieldError, NotFound, RuleViolated

MANUAL_EVIDENCE_PATH = "/v1/manual-evidence"


class AgencyAnswerRefused(DomainError):
    """An agency answered, but not with a valid signed answer to our request: nothing of it is
    kept except the ledger entry recording the refusal."""

    status, slug, title = (
        502,
        "agency-answer-refused",
        t("部门的答复被拒绝", "An agency's answer was refused"),
    )


@dataclass(frozen=True, slots=True)
class Subject:
    citizen_id: str
    name: str
    county_code: str
    student: Student | None


@dataclass
class AgencyResult:
    agency: str
    status: Literal["verified", "unavailable", "refused"]
    ledger_seq: int
    assertion: AgencyAssertion | None = None
    detail: str = ""
    rule: str | None = None


@dataclass
class LookupOutcome:
    subject: Subject
    purpose: str
    results: list[AgencyResult] = field(default_factory=list)

    def refusal(self) -> AgencyAnswerRefused | None:
        refused = [r for r in self.results if r.status == "refused"]
        if not refused:
            return None
        return AgencyAnswerRefused(
            t(
                "部门答复被拒绝：" + "、".join(r.agency for r in refused),
                "agency answer refused: " + ", ".join(r.agency for r in refused),
            ),
            *[
                FieldError(
                    f"agencies.{r.agency}.signature"
                    if r.rule == rules.AnswerProblem.SIGNATURE
                    else f"agencies.{r.agency}",
                    r.rule or rules.AnswerProblem.SIGNATURE.value,
                    r.detail,
                )
                for r in refused
            ],
        )


def _agencies_to_ask(connector: AgencyConnector, requested: Sequence[str] | None) -> list[str]:
    codes = list(requested) if requested else list(connector.agencies)
    unknown = [c for c in codes if connector.configured(c) is None]
    if unknown:
        raise RuleViolated(
            t("未配置的部门", "agency not configured"),
            *[
                FieldError(
                    "agencies",
                    "agency_configured",
                    t(
                        f"{c} 在此未配置（已配置：{', '.join(connector.agencies)}）",
                        f"{c} is not configured here (configured: {', '.join(connector.agencies)})",
                    ),
                )
                for c in unknown
            ],
        )
    if not codes:
        raise RuleViolated(
            t("本部署未配置任何合作部门", "this deployment configures no partner agency"),
            FieldError(
                "agencies",
                "agency_configured",
                t("ASSISTANCE_AGENCIES_FILE 未列出任何部门", "ASSISTANCE_AGENCIES_FILE lists none"),
            ),
        )
    return list(dict.fromkeys(codes))


async def _subject(
    repository: AgencyRepository,
    principal: Principal,
    *,
    student_id: UUID | None,
    citizen_id: str | None,
    name: str | None,
    county_code: str | None,
) -> Subject:
    if student_id is not None:
        student = await repository.student(student_id)
        if student is None:
            raise NotFound(t(f"学生 {student_id} 不存在", f"student {student_id} not found"))
        principal.require_jurisdiction(student.county_code, field="student_id")
        return Subject(student.citizen_id, student.name, student.county_code, student)
    if citizen_id is None or name is None or county_code is None:
        raise RuleViolated(
            t(
                "须给出 student_id 或 citizen_id、name、county_code",
                "give student_id, or citizen_id, name and county_code",
            ),
            FieldError(
                "student_id",
                "subject_required",
                t(
                    "student_id，或 citizen_id + name + county",
                    "student_id or citizen_id+name+county",
                ),
            ),
        )
    principal.require_jurisdiction(county_code, field="county_code")
    student = await repository.student_by_citizen_id(citizen_id)
    if student is not None and not principal.jurisdiction.covers_code(student.county_code):
        student = None  # on another county's roster: not linked from here
    return Subject(citizen_id, name, county_code, student)


def _categories(body: dict[str, Any], allowed: Sequence[str]) -> list[dict[str, Any]]:
    """The minimal answer's categories, keeping only those this agency is configured for."""
    out = []
    for item in body["assertion"]["categories"]:
        if isinstance(item, dict) and item.get("category") in allowed:
            out.append(
                {
                    "category": item["category"],
                    "grade": item.get("grade"),
                    "valid_from": item.get("valid_from"),
                    "valid_until": item.get("valid_until"),
                }
            )
    return out


async def lookup(
    session: AsyncSession,
    principal: Principal,
    *,
    connector: AgencyConnector,
    pseudonym_key: bytes,
    purpose: str | None,
    legal_basis: str | None,
    consent_ref: str | None,
    agencies: Sequence[str] | None = None,
    student_id: UUID | None = None,
    citizen_id: str | None = None,
    name: str | None = None,
    county_code: str | None = None,
) -> LookupOutcome:
    """核查: ask each agency about one person; verify, store and ledger every answer."""
    rules.require_lawful_basis(purpose, legal_basis, consent_ref)
    assert purpose is not None
    repository = AgencyRepository(session)
    subject = await _subject(
        repository,
        principal,
        student_id=student_id,
        citizen_id=citizen_id,
        name=name,
        county_code=county_code,
    )
    codes = _agencies_to_ask(connector, agencies)
    requests = {
        code: connector.new_request(
            request_id=str(uuid7()),
            citizen_id=subject.citizen_id,
            name=subject.name,
            purpose=purpose,
            legal_basis=legal_basis,
            consent_ref=consent_ref,
        )
        for code in codes
    }
    replies: list[AgencyReply] = await asyncio.gather(
        *[
            connector.request_assertion(code, requests[code], citizen_id=subject.citizen_id)
            for code in codes
        ]
    )
    key = student_key(pseudonym_key, subject.citizen_id)
    outcome = LookupOutcome(subject, purpose)
    for reply in replies:
        config = connector.agencies[reply.agency]
        assertion_body = reply.body["assertion"] if reply.body else None
        answer_id = str(assertion_body["assertion_id"]) if assertion_body else None
        if assertion_body is None:
            result = "unavailable" if reply.status == "unavailable" else "refused"
        else:
            result = "matched" if assertion_body.get("matched") else "not_matched"
        entry = await ledger.append(
            session,
            LedgerRecord(
                kind="lookup",
                actor=principal.client_id,
                student_key=key,
                county_code=subject.county_code,
                agency=reply.agency,
                purpose=purpose,
                legal_basis=legal_basis,
                consent_ref=consent_ref,
                request_id=str(requests[reply.agency]["request_id"]),
                answer_id=answer_id,
                outcome=result,
                detail=reply.detail or None,
            ),
        )
        if reply.body is None or assertion_body is None:
            outcome.results.append(
                AgencyResult(
                    reply.agency,
                    reply.status,
                    entry.seq,
                    detail=reply.detail,
                    rule=reply.rule.value if reply.rule else None,
                )
            )
            continue
        assertion = AgencyAssertion(
            assertion_id=answer_id,
            agency=reply.agency,
            student_id=subject.student.id if subject.student else None,
            citizen_id_index=citizen_id_index(subject.citizen_id),
            subject_sha256=rules.subject_sha256(subject.citizen_id),
            matched=bool(assertion_body.get("matched")),
            name_matches=bool(assertion_body.get("name_matches")),
            categories=_categories(reply.body, config.categories),
            issued_at=datetime.fromisoformat(str(assertion_body["issued_at"])),
            key_id=str(reply.body["key_id"]),
            signature=str(reply.body["signature"]),
            source="agency",
            ledger_seq=entry.seq,
        )
        repository.add(assertion)
        outcome.results.append(AgencyResult(reply.agency, "verified", entry.seq, assertion))
    await session.flush()
    return outcome


async def record_manual_evidence(
    session: AsyncSession,
    principal: Principal,
    *,
    connector: AgencyConnector,
    pseudonym_key: bytes,
    student_id: UUID,
    agency: str,
    category: str,
    grade: int | None,
    valid_from: date,
    valid_until: date | None,
    kind: str,
    reference: str,
    reviewer: str,
    note: str | None,
    purpose: str | None,
    legal_basis: str | None,
    consent_ref: str | None,
) -> AgencyAssertion:
    """人工核验: the reviewer saw the agency's document while the agency could not answer."""
    rules.require_lawful_basis(purpose, legal_basis, consent_ref)
    assert purpose is not None
    repository = AgencyRepository(session)
    student = await repository.student(student_id)
    if student is None:
        raise NotFound(t(f"学生 {student_id} 不存在", f"student {student_id} not found"))
    principal.require_jurisdiction(student.county_code, field="student_id")
    errors = []
    if agency not in AGENCIES:
        errors.append(
            FieldError(
                "agency",
                "agency_known",
                t(f"应为以下之一：{', '.join(AGENCIES)}", f"one of {', '.join(AGENCIES)}"),
            )
        )
    if category not in CATEGORIES:
        errors.append(
            FieldError(
                "category",
                "category_known",
                t(f"应为以下之一：{', '.join(CATEGORIES)}", f"one of {', '.join(CATEGORIES)}"),
            )
        )
    configured = connector.configured(agency)
    if configured is not None and category in CATEGORIES and category not in configured.categories:
        errors.append(
            FieldError(
                "category",
                "category_held_by_agency",
                t(
                    f"{agency} 负责的类别为 {', '.join(configured.categories)}",
                    f"{agency} answers for {', '.join(configured.categories)}",
                ),
            )
        )
    if valid_until is not None and valid_until < valid_from:
        errors.append(
            FieldError(
                "valid_until",
                "valid_dates_ordered",
                t("有效期止早于有效期起", "valid_to is before valid_from"),
            )
        )
    if errors:
        raise RuleViolated(
            t(
                "人工核验材料不符合要求",
                "the manual verification document does not meet the requirements",
            ),
            *errors,
        )
    assertion_id = f"manual-{uuid7().hex}"
    entry = await ledger.append(
        session,
        LedgerRecord(
            kind="manual_evidence",
            actor=principal.client_id,
            student_key=student.student_key,
            county_code=student.county_code,
            agency=agency,
            purpose=purpose,
            legal_basis=legal_basis,
            consent_ref=consent_ref,
            request_id=assertion_id,
            answer_id=assertion_id,
            outcome="manual",
            # the document's reference stays in the assertion, which the purge clears: the
            # hash-chained ledger cannot be cleared, so it never holds it
            detail=f"{kind}, reviewer {reviewer}",
        ),
    )
    assertion = AgencyAssertion(
        assertion_id=assertion_id,
        agency=agency,
        student_id=student.id,
        citizen_id_index=citizen_id_index(student.citizen_id),
        subject_sha256=rules.subject_sha256(student.citizen_id),
        matched=True,
        name_matches=True,
        categories=[
            {
                "category": category,
                "grade": grade,
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat() if valid_until else None,
            }
        ],
        issued_at=entry.recorded_at,
        key_id=None,
        signature=None,
        source="manual",
        evidence={"kind": kind, "reference": reference, "reviewer": reviewer, "note": note},
        ledger_seq=entry.seq,
    )
    repository.add(assertion)
    await session.flush()
    return assertion
