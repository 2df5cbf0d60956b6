"""学区调整周期: how often a county re-draws its attendance zones, as cited policy data, and whether
a zone map's zones are older than that.

Seed 001 (通榆县, 2018-09-03): "结合县城学校布局调整的实际,每三年对学区进行重新划分和调整" —
every three years. No national interval exists, so a county without a row in force has none
and its maps are not flagged. A map's zones date from the earliest version, going back through
the county's earlier maps of the level (any year), whose zones are the same (the canonical hash
of the FeatureCollection, `source_sha256`): re-importing the same zones for a new year is no
re-zoning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.zoning.models import ZoneMap


@dataclass(frozen=True, slots=True)
class RezoningPolicy:
    scope: str  # GB/T 2260 prefix
    effective_from: date
    effective_to: date | None  # exclusive
    interval_years: int
    source: str


REZONING_POLICIES: tuple[RezoningPolicy, ...] = (
    RezoningPolicy(
        scope="220822",
        effective_from=date(2018, 9, 3),
        effective_to=None,
        interval_years=3,
        source=(
            "通榆县人民政府办公室 2018-09-03（seed 001）：每三年对学区进行重新划分和调整 (LOCAL)"
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class RezoningStatus:
    interval_years: int
    source: str
    zones_since: date  # the zones have been the same since this day
    due_on: date  # zones_since + interval
    due: bool  # on or after due_on, as of the day asked


def policy_in_force(county_code: str, on: date) -> RezoningPolicy | None:
    """The most specific row in force on `on` (latest effective_from among equals)."""
    rows = [
        p
        for p in REZONING_POLICIES
        if county_code.startswith(p.scope)
        and p.effective_from <= on
        and (p.effective_to is None or on < p.effective_to)
    ]
    return max(rows, key=lambda p: (len(p.scope), p.effective_from)) if rows else None


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def zones_since(history: list[tuple[date, str]], current: str) -> date:
    """`history`: (effective_from, zones hash) of the map and every earlier one of its county and
    level, newest first; the effective_from of the oldest of the unbroken run with the current
    zones."""
    since = history[0][0]
    for effective_from, digest in history:
        if digest != current:
            break
        since = effective_from
    return since


def status(policy: RezoningPolicy, since: date, on: date) -> RezoningStatus:
    due_on = add_years(since, policy.interval_years)
    return RezoningStatus(policy.interval_years, policy.source, since, due_on, on >= due_on)


async def rezoning_status(
    session: AsyncSession, zone_map: ZoneMap, on: date
) -> RezoningStatus | None:
    """The map's re-zoning status under the county's interval in force on `on`; None when the
    county has none."""
    policy = policy_in_force(zone_map.county_code, on)
    if policy is None:
        return None
    rows = await session.execute(
        select(ZoneMap.effective_from, ZoneMap.source_sha256)
        .where(
            ZoneMap.county_code == zone_map.county_code,
            ZoneMap.level == zone_map.level,
            (ZoneMap.year < zone_map.year)
            | ((ZoneMap.year == zone_map.year) & (ZoneMap.version <= zone_map.version)),
        )
        .order_by(ZoneMap.year.desc(), ZoneMap.version.desc())
    )
    history = [(effective_from, digest) for effective_from, digest in rows]
    return status(policy, zones_since(history, zone_map.source_sha256), on)
