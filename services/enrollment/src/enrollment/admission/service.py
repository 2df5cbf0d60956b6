"""Admission review (审核) use-cases: an application's checklist, its moves through review,
the verification of each document, and the priority it holds at each school.

Each function changes state, writes the audit trail and stages its event in the caller's
transaction; none commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import policies, rules
from enrollment.admission.models import (
    Application,
    ApplicationEvent,
    ApplicationVerification,
    PriorityPolicy,
)
from enrollment.admission.repository import ApplicationRepository, PolicyRepository
from enrollment.admission.schemas import (
    TransitionCreate,
    VerificationPut,
)
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.i18n import t as tt
from junheng_kit.problems import (
    Conflict,
    FieldError,
    InvalidInput,
    RuleViolated,
)
from junheng_kit.timeutil import utcnow


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


async def checklist(
    session: AsyncSession, application: Application, *, today: date
) -> tuple[tuple[str, ...], dict[str, ApplicationVerification]]:
    """The documents the policy in force asks of this family, and their latest checks."""
    policy = await policies.policy_in_force(
        session, application.county_code, application.year, application.level, today
    )
    return policies.required_documents(policy, application.migrant), await ApplicationRepository(
        session
    ).verifications(application.id)


def _check_version(application: Application, if_match: int | None) -> None:
    require_version(
        tt(f"申请 {application.id}", f"application {application.id}"), application.version, if_match
    )


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
    if rules.admission_stands(current):  # type: ignore[arg-type]
        raise Conflict(
            tt(
                f"申请 {application.id} 已录取,录取有效",
                f"application {application.id} is admitted; its admission stands",
            ),
            rules.ADMISSION_STANDS,
        )
    if not rules.can_move(current, request.to):  # type: ignore[arg-type]
        allowed = ", ".join(sorted(rules.TRANSITIONS[current])) or "none (final)"  # type: ignore[index]
        raise RuleViolated(
            tt(
                f"状态为 {current} 的申请不能变为 {request.to}",
                f"an application that is {current} cannot become {request.to}",
            ),
            FieldError(
                "to",
                "review_transition",
                tt(f"从 {current} 可变为：{allowed}", f"from {current} it may become: {allowed}"),
            ),
        )
    if request.to == "verified":
        required, checks = await checklist(session, application, today=today)
        missing = rules.missing_verifications(
            required, {document: check.result for document, check in checks.items()}
        )
        if missing:
            state = {d: checks[d].result if d in checks else "not checked" for d in missing}
            raise RuleViolated(
                tt("材料尚未全部确认", "documents are not all confirmed"),
                *[
                    FieldError(
                        f"checklist.{document}",
                        "document_confirmed",
                        tt(
                            f"{document} 状态为 {state[document]}",
                            f"{document} is {state[document]}",
                        ),
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
            tt(
                f"状态为 {application.status} 的申请不在审核中",
                f"an application that is {application.status} is not under review",
            ),
            FieldError(
                "path.application_id",
                "review_open",
                tt(
                    "材料在申请处于已提交、核验中或待补材料时核验；已核验的申请请先重新打开（to:"
                    " verifying）",
                    "documents are checked while an application is submitted, verifying or "
                    "needs-documents; re-open a verified one first (to: verifying)",
                ),
            ),
        )
    required, _ = await checklist(session, application, today=today)
    if document not in required:
        raise InvalidInput(
            tt(
                f"{document} 不在此家庭的材料清单中",
                f"{document} is not on this family's checklist",
            ),
            FieldError(
                "path.document",
                "document_in_checklist",
                tt(
                    f"政策要求的材料：{', '.join(required) or '无'}",
                    f"the policy asks for: {', '.join(required) or 'no documents'}",
                ),
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
) -> tuple[PriorityPolicy, dict[str, bool | int], list[tuple[str, int | None, str | None, bool]]]:
    """The tier the policy in force gives the application at each of its choices (code, tier,
    tier name, and whether the school is the child's own 九年一贯制 school)."""
    policy = await PolicyRepository(session).in_force(
        application.county_code, application.year, application.level, on=on
    )
    if policy is None:
        raise RuleViolated(
            tt("没有生效的优先录取政策", "no priority policy is in force"),
            FieldError(
                "policy",
                "policy_published",
                tt(
                    f"请先发布 {application.county_code} {application.year} 年的 "
                    f"{application.level} 招生规则（PUT /v1/priority-policies/…）",
                    f"publish the {application.level} admission rules of {application.county_code} "
                    f"for {application.year} first (PUT /v1/priority-policies/…)",
                ),
            ),
        )
    tiers = policies.tiers_of(policy)
    facts = rules.applicant_facts(
        household_of(application),
        county_code=application.county_code,
        reference_date=date.fromisoformat(policy.document["reference_date"]),
    )
    names = {t.tier: t.name for t in tiers}
    home, hukou = frozenset(application.home_schools), frozenset(application.hukou_schools)
    primary = application.primary_school_code
    own = rules.own_nine_year_school(
        primary,
        await ApplicationRepository(session).nine_year_schools([primary] if primary else []),
    )
    rows = []
    for code in application.choices:
        tier = rules.tier_at(
            tiers,
            facts,
            hukou_in_zone=code in hukou,
            home_in_zone=code in home,
            own_primary_leaver=code == own,
        )
        rows.append((code, tier, names.get(tier) if tier is not None else None, code == own))
    return policy, facts, rows


def household_of(application: Application) -> rules.Household:
    return rules.Household.from_document(application.household)
