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
from assistance.programmes.schemas import ProgrammePut, StandardCreate, StandardList, StandardRead
from junheng_kit.auth import Principal
from junheng_kit.i18n import t as tt
from junheng_kit.problems import Conflict, FieldError, Forbidden, NotFound, RuleViolated


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


async def priority_categories(
    session: AsyncSession, *, county_code: str, on: date
) -> dict[str, frozenset[str]]:
    """programme code → the categories it serves first (seed 000 item 12: 优先保障寄宿、交通、
    营养需求), for the programmes in force on `on` whose scope covers the county and that name
    any."""
    return {
        p.code: frozenset(p.priority_categories)
        for p in programmes_in_force(await repository.all_versions(session), on)
        if p.priority_categories and county_code.startswith(p.scope_code)
    }


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


def visible(principal: Principal, scope_code: str) -> bool:
    """National programmes are seen by all; a scoped one by callers inside or above its scope."""
    return scope_code == "" or any(
        p.startswith(scope_code) or scope_code.startswith(p)
        for p in principal.jurisdiction.prefixes
    )


async def list_programmes(
    session: AsyncSession, principal: Principal, *, on: date | None
) -> list[Programme]:
    """Programmes visible to the caller: each one's version in force on `on` (default: latest)."""
    rows = [r for r in await repository.all_versions(session) if visible(principal, r.scope_code)]
    if on is not None:
        return programmes_in_force(rows, on)
    latest: dict[str, Programme] = {}
    for row in rows:
        latest[row.code] = row  # oldest first: the last one is the newest version
    return list(latest.values())


async def get_programme(
    session: AsyncSession, principal: Principal, *, code: str, on: date | None
) -> Programme:
    versions = await programme_versions(session, principal, code=code)
    found = version_in_force(versions, on) if on is not None else versions[-1]
    if found is None:
        raise NotFound(
            tt(
                f"资助项目 {code} 在 {on} 没有生效的版本",
                f"programme {code} has no version in force on {on}",
            ),
            FieldError("query.on", "programme_in_force"),
        )
    return found


async def programme_versions(
    session: AsyncSession, principal: Principal, *, code: str
) -> list[Programme]:
    versions = [
        v for v in await repository.all_versions(session, code) if visible(principal, v.scope_code)
    ]
    if not versions:
        raise NotFound(
            tt(f"资助项目 {code} 不存在", f"programme {code} not found"),
            FieldError("code", "programme_known"),
        )
    return versions


async def put_programme(
    session: AsyncSession, principal: Principal, *, code: str, request: ProgrammePut
) -> Programme:
    """A new version of a local programme; national ones change only with the catalogue."""
    versions = await repository.all_versions(session, code)
    if versions and versions[-1].kind == "national":
        raise Forbidden(
            tt(f"{code} 是国家资助项目", f"{code} is a national programme"),
            FieldError(
                "code",
                "national_catalogue",
                tt("国家资助项目随项目目录提供", "national programmes come with the catalogue"),
            ),
        )
    principal.require_jurisdiction(request.scope_code, field="scope_code")
    if versions:
        principal.require_jurisdiction(versions[-1].scope_code, field="code")
    row = Programme(
        code=code,
        version=(versions[-1].version + 1) if versions else 1,
        kind="local",
        changed_by=principal.client_id,
        **request.model_dump(),
    )
    repository.add(session, row)
    await session.flush()
    return row


async def add_standard(
    session: AsyncSession, principal: Principal, *, code: str, request: StandardCreate
) -> ProgrammeStandard:
    """A new effective-dated standard in the caller's scope; it never rewrites past awards."""
    versions = await programme_versions(session, principal, code=code)
    principal.require_jurisdiction(request.scope_code, field="scope_code")
    scope = versions[-1].scope_code
    if not request.scope_code.startswith(scope):
        raise RuleViolated(
            tt("标准范围超出项目范围", "the standard's scope exceeds the programme's"),
            FieldError(
                "scope_code",
                "scope_within_programme",
                tt(f"该项目适用于 {scope!r}", f"the programme applies in {scope!r}"),
            ),
        )
    existing = await repository.standards_of(session, [code])
    if any(
        s.scope_code == request.scope_code and s.effective_from == request.effective_from
        for s in existing
    ):
        raise Conflict(
            tt(
                "同一范围同一生效日已有标准",
                "a standard with the same scope and effective date exists",
            ),
            FieldError(
                "effective_from",
                "standard_unique",
                tt("当日已有标准生效", "a standard starts that day already"),
            ),
        )
    row = ProgrammeStandard(
        programme_code=code, created_by=principal.client_id, **request.columns()
    )
    repository.add(session, row)
    await session.flush()
    return row


async def list_standards(
    session: AsyncSession,
    principal: Principal,
    *,
    code: str,
    county_code: str | None,
    on: date | None,
) -> StandardList:
    await programme_versions(session, principal, code=code)
    rows = [
        s
        for s in await repository.standards_of(session, [code])
        if visible(principal, s.scope_code)
    ]
    in_force = None
    if county_code is not None and on is not None:
        chosen = rules.standard_in_force([to_rule(r) for r in rows], county_code=county_code, on=on)
        in_force = chosen.id if chosen else None
    return StandardList(
        items=[StandardRead.model_validate(r, from_attributes=True) for r in rows],
        in_force=in_force,
    )
