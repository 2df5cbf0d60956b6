from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.scope.models import ScopeRule


@dataclass
class ScopeRuleRepository:
    """Every query of the county scope rules; callers check the jurisdiction first."""

    session: AsyncSession

    def add(self, rule: ScopeRule) -> None:
        self.session.add(rule)

    async def version(self, county_code: str, key: str, effective_from: date) -> ScopeRule | None:
        return await self.session.scalar(
            select(ScopeRule).where(
                ScopeRule.county_code == county_code,
                ScopeRule.key == key,
                ScopeRule.effective_from == effective_from,
            )
        )

    async def versions(self, county_code: str) -> list[ScopeRule]:
        return list(
            await self.session.scalars(
                select(ScopeRule)
                .where(ScopeRule.county_code == county_code)
                .order_by(ScopeRule.key, ScopeRule.effective_from)
            )
        )

    async def in_force(self, county_code: str, on: date) -> dict[str, ScopeRule]:
        """Per key, the version in force on `on`: the latest `effective_from` ≤ `on` whose
        `effective_to` (exclusive) is after it."""
        rows = await self.session.scalars(
            select(ScopeRule)
            .where(
                ScopeRule.county_code == county_code,
                ScopeRule.effective_from <= on,
                or_(ScopeRule.effective_to.is_(None), ScopeRule.effective_to > on),
            )
            .order_by(ScopeRule.key, ScopeRule.effective_from)
        )
        return {row.key: row for row in rows}  # later versions overwrite earlier ones
