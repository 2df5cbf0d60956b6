"""Programme catalogue use-cases: versions, effective-dated standards, what is in force."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.programmes import repository, rules
from assistance.programmes.models import Programme, ProgrammeStandard


@dataclass(frozen=True, slots=True)
class ProgrammeEligibility:
    """A 免申即享 programme in force and the category codes that make a pupil eligible."""

    programme_code: str
    categories: frozenset[str]
    scope_code: str = ""  # "" national, else the GB/T 2260 prefix it applies in


def version_in_force(versions: Iterable[Programme], on: date) -> Programme | None:
    """The version of one programme in force on `on`: latest `effective_from`, then version."""
    candidates = [v for v in versions if v.effective_from <= on]
    return max(candidates, key=lambda v: (v.effective_from, v.version)) if candidates else None


def programmes_in_force(rows: Sequence[Programme], on: date) -> list[Programme]:
    by_code: dict[str, list[Programme]] = defaultdict(list)
    for row in rows:
        by_code[row.code].append(row)
    found = (version_in_force(versions, on) for versions in by_code.values())
    return [p for p in found if p is not None]


async def auto_programmes(session: AsyncSession, *, on: date) -> list[ProgrammeEligibility]:
    """免申即享: programmes in force on `on` whose awards are proposed from agency data."""
    return [
        ProgrammeEligibility(p.code, frozenset(p.eligible_categories), p.scope_code)
        for p in programmes_in_force(await repository.all_versions(session), on)
        if p.auto
    ]


def to_rule(row: ProgrammeStandard) -> rules.Standard:
    return rules.Standard(
        id=row.id,
        programme_code=row.programme_code,
        scope_code=row.scope_code,
        effective_from=row.effective_from,
        unit=row.unit,
        days_per_year=row.days_per_year,
        rates=tuple(
            rules.Rate(r.get("level"), r.get("boarding"), Decimal(str(r["amount_yuan"])))
            for r in row.rates
        ),
        tiers=tuple(
            rules.Tier(t["code"], t.get("name", t["code"]), int(t["rank"]), Decimal(t["factor"]))
            for t in row.tiers
        ),
    )


async def standards_by_programme(
    session: AsyncSession, codes: Iterable[str]
) -> dict[str, list[rules.Standard]]:
    found: dict[str, list[rules.Standard]] = defaultdict(list)
    for row in await repository.standards_of(session, codes):
        found[row.programme_code].append(to_rule(row))
    return found
