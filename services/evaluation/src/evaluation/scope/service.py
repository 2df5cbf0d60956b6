"""Scope-rule use-cases: a county sets its §5.1 rules; assessments look up those in force."""

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.scope.models import ScopeRule
from evaluation.scope.repository import ScopeRuleRepository
from evaluation.scope.rules import SCOPE_KEYS, RuleInForce
from evaluation.scope.schemas import ScopeRulePut, ScopeRuleRead, ScopeRulesRead
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, NotFound, RuleViolated
from junheng_kit.timeutil import utcnow

VALUE_FIELD = {"min_pupils_teaching_point": "min_pupils", "combined_school_weights": "weights"}


def _value(key: str, request: ScopeRulePut) -> dict[str, Any]:
    """The stored value of the key's version; the other key's field must be absent."""
    wanted = VALUE_FIELD[key]
    for name in VALUE_FIELD.values():
        if name != wanted and getattr(request, name) is not None:
            raise RuleViolated(
                t(f"{name} 不是 {key} 的取值", f"{name} is not a value of {key}"),
                FieldError(name, "scope_value_unexpected", key),
            )
    if key == "min_pupils_teaching_point":
        if request.min_pupils is None:
            raise RuleViolated(
                t("min_pupils 为必填项", "min_pupils is required"),
                FieldError("min_pupils", "scope_value_required", key),
            )
        return {"min_pupils": request.min_pupils}
    if request.weights is None:
        raise RuleViolated(
            t("权重为必填项", "weights are required"),
            FieldError("weights", "scope_value_required", key),
        )
    weights = request.weights.model_dump(exclude_none=True)
    if not weights:
        raise RuleViolated(
            t("权重未指明任何一贯制学校类型", "weights name no kind of combined school"),
            FieldError(
                "weights",
                "scope_value_required",
                t("nine_year、complete_secondary 等", "nine_year, complete_secondary, …"),
            ),
        )
    return {kind: {part: str(w) for part, w in parts.items()} for kind, parts in weights.items()}


def _read(rule: ScopeRule) -> ScopeRuleRead:
    return ScopeRuleRead(
        county_code=rule.county_code,
        key=rule.key,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        value=rule.value,
        citation=rule.citation,
        set_by=rule.set_by,
    )


async def put_rule(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    key: str,
    request: ScopeRulePut,
) -> ScopeRuleRead:
    """Store (replace) the version of `key` starting on `effective_from`."""
    principal.require_jurisdiction(county_code, field="county_code")
    if key not in SCOPE_KEYS:
        raise NotFound(
            t(
                f"{key!r} 不是范围规则（{', '.join(SCOPE_KEYS)}）",
                f"{key!r} is not a scope rule ({', '.join(SCOPE_KEYS)})",
            )
        )
    if request.effective_to is not None and request.effective_to <= request.effective_from:
        raise RuleViolated(
            t("effective_to 必须晚于 effective_from", "effective_to must be after effective_from"),
            FieldError(
                "effective_to",
                "effective_range",
                t("结束日期（不含）应晚于开始日期", "exclusive end after the start"),
            ),
        )
    value = _value(key, request)
    repository = ScopeRuleRepository(session)
    rule = await repository.version(county_code, key, request.effective_from)
    if rule is None:
        rule = ScopeRule(county_code=county_code, key=key, effective_from=request.effective_from)
        repository.add(rule)
    rule.effective_to = request.effective_to
    rule.value = value
    rule.citation = request.citation
    rule.set_by = principal.client_id
    rule.set_at = utcnow()
    await session.flush()
    return _read(rule)


async def list_rules(
    session: AsyncSession, principal: Principal, *, county_code: str, on: date | None
) -> ScopeRulesRead:
    principal.require_jurisdiction(county_code, field="county_code")
    repository = ScopeRuleRepository(session)
    rules = (
        await repository.versions(county_code)
        if on is None
        else list((await repository.in_force(county_code, on)).values())
    )
    return ScopeRulesRead(county_code=county_code, on=on, rules=[_read(r) for r in rules])


async def rules_in_force(session: AsyncSession, county_code: str, on: date) -> list[RuleInForce]:
    """The county's rules in force on a date, as the pure scope rules take them."""
    found = await ScopeRuleRepository(session).in_force(county_code, on)
    return [
        RuleInForce(
            key=rule.key,  # type: ignore[arg-type]
            value=rule.value,
            effective_from=rule.effective_from,
            effective_to=rule.effective_to,
            citation=rule.citation,
        )
        for rule in found.values()
    ]
