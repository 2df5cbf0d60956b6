"""Queries of county-set policy parameters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from staffing.policy.models import PolicyParameter
from staffing.policy.parameters import PolicyRow


def scopes_of(division_code: str) -> list[str]:
    """The scope codes that cover a county: province (2), prefecture (4) and county (6)."""
    return [division_code[:n] for n in (2, 4, 6) if len(division_code) >= n]


def as_row(parameter: PolicyParameter) -> PolicyRow:
    return PolicyRow(
        key=parameter.key,
        qualifier=parameter.qualifier,
        value=parameter.value,
        scope_code=parameter.scope_code,
        effective_from=parameter.effective_from,
        effective_to=parameter.effective_to,
        source=parameter.source,
        evidence=parameter.evidence,  # type: ignore[arg-type]
    )


@dataclass
class PolicyParameterRepository:
    session: AsyncSession

    def add(self, parameter: PolicyParameter) -> None:
        self.session.add(parameter)

    async def covering(self, division_code: str) -> list[PolicyParameter]:
        """Every stored row whose scope covers the county, oldest first."""
        rows = await self.session.scalars(
            select(PolicyParameter)
            .where(PolicyParameter.scope_code.in_(scopes_of(division_code)))
            .order_by(PolicyParameter.id)
        )
        return list(rows)
