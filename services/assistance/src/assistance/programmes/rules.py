"""资助标准 rules: which standard is in force, and what an award under it amounts to.

Pure: no I/O. domain.md §4.1 (amounts), §4.3 (tiers are PARAM; categories default to the highest
tier), §1.5 (a school year runs September–August; aid is paid per semester).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from junheng_kit.i18n import t as tt
from junheng_kit.problems import FieldError, RuleViolated

CENT = Decimal("0.01")
LEVELS = ("primary", "junior")
TERMS = ("autumn", "spring")


@dataclass(frozen=True, slots=True)
class Rate:
    """One amount of a standard; `None` for level or boarding means "any"."""

    level: str | None
    boarding: bool | None
    amount_yuan: Decimal

    def applies(self, level: str, boarding: bool) -> bool:
        return self.level in (None, level) and self.boarding in (None, boarding)


@dataclass(frozen=True, slots=True)
class Tier:
    """差异化 tier: `rank` 1 is the highest (特别困难); the award is the base amount × factor."""

    code: str
    name: str
    rank: int
    factor: Decimal


@dataclass(frozen=True, slots=True)
class Standard:
    id: UUID
    programme_code: str
    scope_code: str  # "" national, else a GB/T 2260 prefix
    effective_from: date
    unit: str  # per_year | per_day
    days_per_year: int | None
    rates: tuple[Rate, ...]
    tiers: tuple[Tier, ...] = ()


def school_year_start(school_year: int) -> date:
    """The date a school year's award is priced on: 1 September of its start year (§1.5).

    Spring 2019 belongs to school year 2018 (priced on 2018-09-01), autumn 2019 to 2019.
    """
    return date(school_year, 9, 1)


def standard_in_force(
    standards: Sequence[Standard], *, county_code: str, on: date
) -> Standard | None:
    """The standard for a county on a date: among standards whose scope covers the county and
    that are effective by then, the most specific scope wins, then the latest `effective_from`."""
    candidates = [
        s for s in standards if county_code.startswith(s.scope_code) and s.effective_from <= on
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda s: (len(s.scope_code), s.effective_from))


def highest_tier(standard: Standard) -> Tier | None:
    """Categories default to the highest tier (domain.md §4.2–4.3); None when untiered."""
    return min(standard.tiers, key=lambda t: t.rank) if standard.tiers else None


def yearly_amount(standard: Standard, *, level: str, boarding: bool, tier: str | None) -> Decimal:
    """The yearly amount in yuan for a pupil of `level`, boarding or not, in `tier`.

    per_year: the rate; per_day: rate × days_per_year (nutrition: 5 × 200 = 1000). With tiers,
    the amount is × the tier's factor (an unknown tier is refused); without tiers, `tier` must be
    None. Rounded half-up to the fen.
    """
    rate = next((r for r in standard.rates if r.applies(level, boarding)), None)
    if rate is None:
        raise RuleViolated(
            tt(
                "资助标准未覆盖该学段/寄宿情况",
                "the assistance standard does not cover this level / boarding status",
            ),
            FieldError(
                "student",
                "standard_covers_pupil",
                tt(
                    f"标准 {standard.id} 没有 {level}、{'寄宿' if boarding else '非寄宿'} 的金额",
                    f"standard {standard.id} has no amount for {level}, "
                    f"{'boarding' if boarding else 'non-boarding'}",
                ),
            ),
        )
    amount = rate.amount_yuan
    if standard.unit == "per_day":
        amount *= standard.days_per_year or 0
    if standard.tiers:
        chosen = next((t for t in standard.tiers if t.code == tier), None)
        if chosen is None:
            raise RuleViolated(
                tt("资助档次不在标准之列", "the assistance tier is not in the standard"),
                FieldError(
                    "tier",
                    "tier_known",
                    tt(
                        f"此标准的档次：{', '.join(t.code for t in standard.tiers)}",
                        f"tiers of this standard: {', '.join(t.code for t in standard.tiers)}",
                    ),
                ),
            )
        amount *= chosen.factor
    elif tier is not None:
        raise RuleViolated(
            tt("该标准不分档", "this standard has no tiers"),
            FieldError("tier", "tier_known", tt("此标准不分档", "this standard has no tiers")),
        )
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def term_amounts(amount: Decimal, schedule: Sequence[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """The yearly amount split by the payment schedule: 625 → autumn 312.50, spring 312.50."""
    return {
        term: (amount * share).quantize(CENT, rounding=ROUND_HALF_UP) for term, share in schedule
    }
