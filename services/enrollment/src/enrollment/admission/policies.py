"""Admission policies (招生政策): a county's priority rules as effective-dated versions, and
what the version in force asks — the entry-age cut-off, the tiers, the documents a family
shows. None commits."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import rules
from enrollment.admission.models import PriorityPolicy
from enrollment.admission.repository import PolicyRepository
from enrollment.admission.schemas import PriorityPolicyPut
from junheng_kit.auth import Principal
from junheng_kit.i18n import t as tt
from junheng_kit.problems import RuleViolated

DEFAULT_ENTRY_AGE_CUTOFF = (8, 31)  # domain.md §1.5: entry_age_cutoff=08-31 unless a county says


def tiers_of(policy: PriorityPolicy) -> list[rules.Tier]:
    return _tiers(policy.document)


def _tiers(document: dict[str, Any]) -> list[rules.Tier]:
    return [
        rules.Tier(
            tier=t["tier"],
            name=t["name"],
            all_of=tuple(rules.Condition(c["fact"], c["op"], c["value"]) for c in t["all_of"]),
        )
        for t in document["tiers"]
    ]


def cutoff_of(policy: PriorityPolicy | None) -> tuple[int, int]:
    if policy is None:
        return DEFAULT_ENTRY_AGE_CUTOFF
    month, day = policy.document["entry_age_cutoff"].split("-")
    return int(month), int(day)


async def publish_policy(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    level: rules.Level,
    request: PriorityPolicyPut,
) -> PriorityPolicy:
    """招生政策: add the next version of a county's priority rules; old versions stay. A fact
    the level cannot have (own_primary_leaver in a primary policy) is refused."""
    principal.require_jurisdiction(county_code, field="county_code")
    document = request.model_dump(mode="json")
    misplaced = rules.fact_level_errors(_tiers(document), level)
    if misplaced:
        raise RuleViolated(
            tt(
                f"{level} 优先录取规则检验了其他学段的事实",
                f"the {level} priority rules test facts of another level",
            ),
            *misplaced,
        )
    repository = PolicyRepository(session)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    policy = PriorityPolicy(
        county_code=county_code,
        year=year,
        level=level,
        version=await repository.latest_version(county_code, year, level) + 1,
        effective_from=request.effective_from,
        source=request.source,
        document=document,
        document_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        created_by=principal.client_id,
    )
    repository.add(policy)
    await session.flush()
    return policy


def required_documents(policy: PriorityPolicy | None, migrant: bool) -> tuple[str, ...]:
    documents = policy.document["documents"] if policy else {"local": [], "migrant": []}
    return rules.required_documents(
        migrant, local=documents["local"], migrant_documents=documents["migrant"]
    )


_POLICIES = "enrollment_policies_read"


async def policy_in_force(
    session: AsyncSession, county_code: str, year: int, level: str, today: date
) -> PriorityPolicy | None:
    """The policy in force, read once per transaction (a submission's checks and its answer's
    checklist ask the same question; policies are written by other requests)."""
    seen: dict[tuple[str, int, str, date], PriorityPolicy | None] = session.info.setdefault(
        _POLICIES, {}
    )
    key = (county_code, year, level, today)
    if key not in seen:
        seen[key] = await PolicyRepository(session).in_force(county_code, year, level, on=today)
    return seen[key]
