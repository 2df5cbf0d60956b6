"""路途时间 of 统筹 offers (no I/O): estimated travel time and the commute-limit flag.

The model (a county's, `TravelModel`): the road is longer than the straight line by a detour
factor, and the trip runs at one speed — walking or the school bus, as the county sets it:

    minutes = straight-line km × detour_factor ÷ speed_kmh × 60

computed exactly in decimals from the offer's haversine distance
(`admission.overflow_rules.distances_km`) and compared unrounded with the limit (不超过 30 →
≤ 30 is within). No source gives a speed or a detour factor, so there is no default: a county
without a model gets no estimate.

Why the proposal's choice needs no change: under one model the minutes grow with the distance,
so the nearest school with a seat left — what `overflow_offers` offers each family in lottery
order — is also the quickest. A within-limit school is therefore never passed over for one
beyond the limit; an offer over the limit means every school with a seat left at that family's
turn is over it too. Seating more families within the limit by swapping seats between them would
give an earlier lottery number a farther school, against the public service order, so the offers
stay as they are and a flagged offer names the within-limit schools that were already full
(`full_within_limit`) for the bureau's own 统筹 choice (`overrides` at confirmation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from enrollment.admission.overflow_rules import distances_km

Mode = Literal["walking", "school_bus"]
Flag = Literal["over_commute_limit"]
MINUTES_PER_HOUR = 60


@dataclass(frozen=True, slots=True)
class TravelModel:
    """How a county estimates a trip: one mode at one speed, the road `detour_factor` times the
    straight line (≥ 1)."""

    mode: Mode
    speed_kmh: Decimal
    detour_factor: Decimal


@dataclass(frozen=True, slots=True)
class Point:
    longitude: float
    latitude: float


@dataclass(frozen=True, slots=True)
class Offer:
    """One 统筹 offer, in service order."""

    application_id: str
    school_code: str | None  # None: no school of the level had a seat left
    distance_km: float | None


@dataclass(frozen=True, slots=True)
class OfferCommute:
    application_id: str
    minutes: Decimal | None  # None: no school offered, or no model
    flags: tuple[Flag, ...]
    full_within_limit: tuple[str, ...]  # flagged offers: within-limit schools already full


def travel_minutes(distance_km: float, model: TravelModel) -> Decimal:
    """Estimated minutes for a straight-line distance: km × detour ÷ speed × 60, exact.

    12 km on foot at 5 km/h with a detour factor of 1.2: 12 × 1.2 ÷ 5 × 60 = 172.8 minutes."""
    return Decimal(str(distance_km)) * model.detour_factor * MINUTES_PER_HOUR / model.speed_kmh


def is_over(minutes: Decimal, limit_minutes: Decimal) -> bool:
    """不超过 N (domain.md §0): exactly N is within the limit."""
    return minutes > limit_minutes


def check_offers(
    offers: Sequence[Offer],
    *,
    homes: Mapping[str, Point],
    schools: Mapping[str, Point],
    seats_left: Mapping[str, int],
    model: TravelModel | None,
    limit_minutes: Decimal | None,
) -> list[OfferCommute]:
    """Each offer's estimated minutes (with a model) and, under a limit, the flag of an offer
    over it with the within-limit schools that had no seat left at that family's turn.

    `offers` in service order; `seats_left` per school after the run, before the offers (each
    offer takes one, as the proposal did)."""
    remaining = dict(seats_left)
    ordered = sorted(schools)
    lons = [schools[code].longitude for code in ordered]
    lats = [schools[code].latitude for code in ordered]
    checked: list[OfferCommute] = []
    for offer in offers:
        if offer.school_code is None or offer.distance_km is None or model is None:
            checked.append(OfferCommute(offer.application_id, None, (), ()))
            if offer.school_code is not None:
                remaining[offer.school_code] -= 1
            continue
        minutes = travel_minutes(offer.distance_km, model)
        full: tuple[str, ...] = ()
        flags: tuple[Flag, ...] = ()
        if limit_minutes is not None and is_over(minutes, limit_minutes):
            flags = ("over_commute_limit",)
            home = homes[offer.application_id]
            distances = distances_km(home.longitude, home.latitude, lons, lats)
            full = tuple(
                code
                for code, distance in zip(ordered, distances, strict=True)
                if remaining.get(code, 0) <= 0
                and not is_over(travel_minutes(distance, model), limit_minutes)
            )
        remaining[offer.school_code] -= 1
        checked.append(OfferCommute(offer.application_id, minutes, flags, full))
    return checked
