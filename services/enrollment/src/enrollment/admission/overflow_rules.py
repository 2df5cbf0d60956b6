"""统筹安排 rules: families a run left unplaced, offered the nearest school of their level with a
seat left (domain.md §2.2, Overflow). Pure functions over plain data, used by
`admission.placement`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def distances_km(
    longitude: float, latitude: float, lons: Sequence[float], lats: Sequence[float]
) -> list[float]:
    """Straight-line (great-circle, haversine) distances from one point to many, in km."""
    import numpy as np

    lon1, lat1 = np.radians(longitude), np.radians(latitude)
    lon2, lat2 = np.radians(np.asarray(lons, dtype=float)), np.radians(np.asarray(lats, float))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return [float(d) for d in 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))]


@dataclass(frozen=True)
class Unplaced:
    application_id: str
    longitude: float
    latitude: float
    lottery: str  # the run's public lottery number: the order families are served in


@dataclass(frozen=True)
class OpenSchool:
    school_code: str
    longitude: float
    latitude: float
    remaining: int


@dataclass(frozen=True)
class OverflowOffer:
    application_id: str
    school_code: str | None  # None: no school of the level has a seat left
    distance_km: float | None


def overflow_offers(
    unplaced: Sequence[Unplaced], schools: Sequence[OpenSchool]
) -> list[OverflowOffer]:
    """统筹安排: families left unplaced are served in lottery order (smaller first), each offered
    the nearest school with a seat left at its level; a school's remaining seats never go
    below zero, so no class goes over its cap. Ties in distance go to the smaller school code."""
    remaining = {s.school_code: s.remaining for s in schools}
    ordered = sorted(schools, key=lambda s: s.school_code)
    lons = [s.longitude for s in ordered]
    lats = [s.latitude for s in ordered]
    offers = []
    for family in sorted(unplaced, key=lambda u: (u.lottery, u.application_id)):
        distances = distances_km(family.longitude, family.latitude, lons, lats)
        best: tuple[float, str] | None = None
        for school, distance in zip(ordered, distances, strict=True):
            if remaining[school.school_code] > 0 and (
                best is None or (distance, school.school_code) < best
            ):
                best = (distance, school.school_code)
        if best is None:
            offers.append(OverflowOffer(family.application_id, None, None))
            continue
        remaining[best[1]] -= 1
        offers.append(OverflowOffer(family.application_id, best[1], best[0]))
    return offers
