"""Invented families applying for grade 1 in the demo county (`make run`, the e2e walkthrough).

Deterministic: the same zones give the same families, IDs and homes on every run. Every child
has a well-formed 公民身份号码 whose birth date fits the intake year's age rule (6 by 31 August);
homes lie inside their zone. 60 % are local owners, 25 % local renters and 15 % 随迁子女 —
about half of those with 12 months or more of 居住证 and social insurance.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from junheng_devtools.demo_roster import GIVEN, SURNAMES, demo_citizen_id

MIGRANT_HUKOU = ("150203", "152722", "610802", "140602")  # 昆都仑区, 伊金霍洛旗, 榆阳区, 朔城区


def intake_year(today: date) -> int:
    """The next grade-1 intake: this autumn's until it starts, then next year's."""
    return today.year if today < date(today.year, 9, 1) else today.year + 1


def _inside(rng: random.Random, polygon: list[list[float]]) -> tuple[float, float]:
    """A point well inside a zone's (rectangular) outer ring."""
    lons = [p[0] for p in polygon]
    lats = [p[1] for p in polygon]
    lon = min(lons) + (max(lons) - min(lons)) * rng.uniform(0.1, 0.9)
    lat = min(lats) + (max(lats) - min(lats)) * rng.uniform(0.1, 0.9)
    return round(lon, 6), round(lat, 6)


def families(demo: dict[str, Any], year: int, *, today: date) -> list[dict[str, Any]]:
    """`POST /enrollment/v1/applications` bodies for the demo county's zones and intake `year`."""
    county = demo["county_code"]
    rng = random.Random(f"demo-families|{county}|{year}")  # noqa: S311 - synthetic demo data
    first_birthday = date(year - 7, 9, 1)  # 6 by 31 August of `year`
    out = []
    sequence = 0
    for feature in demo["zones"]["features"]:
        zone = feature["properties"]
        for _ in range(demo["families_per_zone"][zone["zone_code"]]):
            sequence += 1
            male = rng.random() < 0.52
            born = first_birthday + timedelta(days=rng.randrange(365))
            citizen_id = demo_citizen_id(county, born, sequence, male)
            lon, lat = _inside(rng, feature["geometry"]["coordinates"][0])
            home = {"longitude": lon, "latitude": lat, "address": f"东胜区{zone['name'][:2]}小区"}
            kind = rng.random()
            household: dict[str, Any]
            if kind < 0.75:
                household = {
                    "hukou": {
                        "county_code": county,
                        "type": "urban",
                        "address": home["address"],
                        "location": {"longitude": lon, "latitude": lat},
                    },
                    "housing": "owned" if kind < 0.6 else "rented",
                    "social_insurance_months": rng.randint(24, 120),
                }
            else:
                months = rng.choice((6, 9, 14, 26, 40))
                issued = today - timedelta(days=int(months * 30.5))
                household = {
                    "hukou": {
                        "county_code": rng.choice(MIGRANT_HUKOU),
                        "type": "rural",
                        "address": "户籍地",
                    },
                    "housing": "rented",
                    "residence_permit": {"issued_on": issued.isoformat()},
                    "social_insurance_months": months,
                }
            schools = list(zone["school_codes"])
            rng.shuffle(schools)
            out.append(
                {
                    "county_code": county,
                    "year": year,
                    "grade": 1,
                    "child": {
                        "citizen_id": citizen_id,
                        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                        "birth_date": born.isoformat(),
                    },
                    "guardian": {
                        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                        "relation": rng.choice(("father", "mother")),
                        "phone": f"139{rng.randrange(10**8):08d}",
                    },
                    "household": household,
                    "home": home,
                    "choices": schools if len(schools) > 1 else [],
                }
            )
    return out
