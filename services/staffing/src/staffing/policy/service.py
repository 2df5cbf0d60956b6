"""Policy use-cases: the county's policy book, and values the county sets for its own scope."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated
from staffing.policy.models import PolicyParameter
from staffing.policy.parameters import SPECS, PolicyBook, PolicyRow, check_value
from staffing.policy.repository import PolicyParameterRepository, as_row
from staffing.policy.schemas import (
    ParameterInForce,
    ParametersInForce,
    PolicyParameterCreate,
    PolicyRowRead,
)


async def policy_book(session: AsyncSession, county_code: str) -> PolicyBook:
    """Built-in rows plus every row set for the county's province, prefecture or county."""
    stored = await PolicyParameterRepository(session).covering(county_code)
    return PolicyBook.with_overrides(as_row(p) for p in stored)


def row_read(row: PolicyRow) -> PolicyRowRead:
    return PolicyRowRead(
        key=row.key,
        qualifier=row.qualifier,
        value=row.value,
        scope_code=row.scope_code,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        source=row.source,
        evidence=row.evidence,
        unconfirmed=list(row.unconfirmed),
    )


async def set_parameter(
    session: AsyncSession, principal: Principal, *, county_code: str, request: PolicyParameterCreate
) -> PolicyParameter:
    """Add a county row (append-only: a later row with a later `effective_from` replaces it)."""
    principal.require_jurisdiction(county_code, field="county_code")
    problem = check_value(request.key, request.qualifier, request.value)
    if problem is not None:
        rule, _, message = problem.partition(": ")
        field = {"unknown_parameter": "key", "unknown_qualifier": "qualifier"}.get(rule, "value")
        raise RuleViolated(
            t("不是有效的政策参数", "not a valid policy parameter"),
            FieldError(field, rule, message),
        )
    parameter = PolicyParameter(
        scope_code=county_code,
        key=request.key,
        qualifier=request.qualifier,
        value=request.value,
        effective_from=request.effective_from,
        effective_to=request.effective_to,
        source=request.source,
        evidence=request.evidence,
        set_by=principal.client_id,
    )
    PolicyParameterRepository(session).add(parameter)
    await session.flush()
    return parameter


async def parameters_in_force(
    session: AsyncSession, principal: Principal, *, county_code: str, on: date
) -> ParametersInForce:
    """Every key and qualifier with the value in force for the county, or none (no official
    value: the county sets it)."""
    principal.require_jurisdiction(county_code, field="county_code")
    book = await policy_book(session, county_code)
    out = []
    for spec in SPECS.values():
        for qualifier in sorted(spec.qualifiers):
            row = book.find(spec.key, county_code, on, (qualifier,))
            out.append(
                ParameterInForce(
                    key=spec.key,
                    qualifier=qualifier,
                    unit=spec.unit,
                    description=spec.description,
                    in_force=row_read(row) if row else None,
                )
            )
    return ParametersInForce(county_code=county_code, on=on, parameters=out)
