"""The county's 民办 share of pupils against its cap (issue 19; seed 000; domain.md §2.4).

Seed 000 (Inner Mongolia, item 19): "坚持义务教育学位主要由公办学校提供，严格控制县域内民办义务
教育在校生占比" — public schools supply most places and each county keeps the private share of
compulsory-education pupils under control. No seed or source gives the cap's value (PARAM, no
default): a county sets it, and without one there is nothing to compare against.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

CapStatus = Literal["no_pupils", "no_cap", "within", "over", "undetermined"]
SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class PupilCount:
    """Pupils by their school's 办学性质; `unrecorded`: at schools whose 办学性质 the registry
    does not hold."""

    public: int = 0
    private: int = 0
    unrecorded: int = 0

    @property
    def total(self) -> int:
        return self.public + self.private + self.unrecorded

    def plus(self, ownership: str | None, pupils: int) -> "PupilCount":
        if ownership == "public":
            return PupilCount(self.public + pupils, self.private, self.unrecorded)
        if ownership == "private":
            return PupilCount(self.public, self.private + pupils, self.unrecorded)
        return PupilCount(self.public, self.private, self.unrecorded + pupils)


@dataclass(frozen=True, slots=True)
class PrivateShare:
    """The private share (exact) and where it stands against the cap. With pupils at schools of
    unrecorded 办学性质 the share lies between `share` (none of them private) and `share_max`
    (all of them private)."""

    share: Fraction | None
    share_max: Fraction | None
    status: CapStatus


def private_share(pupils: PupilCount, cap: Decimal | None) -> PrivateShare:
    """民办在校生占比 = private ÷ all pupils; within the cap when it does not exceed it (不超过 N
    is ≤ N, domain.md §0). Compared exactly (fractions, never floats); `undetermined` when the
    schools of unrecorded 办学性质 decide which side of the cap the county is on."""
    if pupils.total == 0:
        return PrivateShare(None, None, "no_pupils")
    share = Fraction(pupils.private, pupils.total)
    share_max = Fraction(pupils.private + pupils.unrecorded, pupils.total)
    if cap is None:
        return PrivateShare(share, share_max, "no_cap")
    limit = Fraction(cap)
    if share_max <= limit:
        status: CapStatus = "within"
    elif share > limit:
        status = "over"
    else:
        status = "undetermined"
    return PrivateShare(share, share_max, status)


def as_decimal(share: Fraction | None) -> Decimal | None:
    """A share for display: 4 decimal places, half up (the comparison used the exact value)."""
    if share is None:
        return None
    return (Decimal(share.numerator) / Decimal(share.denominator)).quantize(
        SHARE_PLACES, rounding=ROUND_HALF_UP
    )
