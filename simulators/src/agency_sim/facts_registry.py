"""The enrollment sources' synthetic registries: 户籍 (公安), 居住证 (公安), 不动产登记 (住建),
社保 (人社) — one record per person, each agency answering from its own part of it.

Deterministic from (region code, seed). A CSV (`--registry`, the demo roster's candidates:
`citizen_id,name`) adds known people: a row with `hukou_county` is planted as written (the other
columns below optional); a row without gets a seeded record — most children local, about a
quarter 随迁子女, most of those with a 居住证, a registered lease and 社保 months in the county.

Planted columns: `hukou_county, hukou_address, household_head, hukou_registered_on,
permit_issued_on, permit_valid_until, permit_address, owned_address, owned_registered_on,
lease_address, lease_from, lease_until, social_since` (dates ISO, empty: none).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from agency_sim.registry import GIVEN, SURNAMES, make_citizen_id

FACT_AGENCIES = {  # code → name; docs/agency-protocol.md "Enrollment facts"
    "hukou": "公安 户籍",
    "permit": "公安 居住证",
    "estate": "不动产登记",
    "social": "人社 社保",
}
ROADS = ("林荫路", "鄂尔多斯西街", "天骄路", "达拉特路", "伊金霍洛西街", "准格尔路", "宝日陶亥街")
ELSEWHERE = ("150621", "150622", "150627", "152801", "140602", "610802")  # other counties


@dataclass(frozen=True, slots=True)
class Person:
    """What the four agencies hold about one child's household (None: no such record)."""

    citizen_id: str
    name: str
    county_code: str  # the county the family lives in (社保, 居住证, homes are there)
    hukou_county: str
    hukou_address: str
    household_head: str
    hukou_registered_on: date
    permit_issued_on: date | None = None
    permit_valid_until: date | None = None
    permit_address: str | None = None
    owned_address: str | None = None
    owned_registered_on: date | None = None
    lease_address: str | None = None
    lease_from: date | None = None
    lease_until: date | None = None
    social_since: date | None = None


def _address(rng: random.Random, county: str) -> str:
    return f"{county}·{rng.choice(ROADS)}{rng.randint(1, 300)}号"


def seeded_person(
    rng: random.Random, citizen_id: str, name: str, county: str, today: date
) -> Person:
    """One family's records, drawn: ~75 % local 户籍 (70 % owning their home), the rest 随迁子女
    (85 % with a 居住证 of 3–48 months, 65 % a registered lease, 80 % 社保 of 2–60 months)."""
    home = _address(rng, county)
    head = name[0] + rng.choice(GIVEN)
    registered = today - timedelta(days=rng.randint(400, 4000))
    if rng.random() < 0.75:
        owns = rng.random() < 0.7
        return Person(
            citizen_id,
            name,
            county,
            county,
            home,
            head,
            registered,
            owned_address=home if owns else None,
            owned_registered_on=registered if owns else None,
            social_since=today - timedelta(days=rng.randint(60, 3000)),
        )
    issued = today - timedelta(days=rng.randint(90, 1460)) if rng.random() < 0.85 else None
    lease = rng.random() < 0.65
    return Person(
        citizen_id,
        name,
        county,
        rng.choice(ELSEWHERE),
        f"{rng.choice(ELSEWHERE)}·老家村{rng.randint(1, 99)}号",
        head,
        registered,
        permit_issued_on=issued,
        permit_valid_until=issued + timedelta(days=3 * 365) if issued else None,
        permit_address=home if issued else None,
        lease_address=home if lease else None,
        lease_from=today - timedelta(days=rng.randint(90, 1500)) if lease else None,
        lease_until=today + timedelta(days=rng.randint(60, 700)) if lease else None,
        social_since=today - timedelta(days=rng.randint(60, 1800)) if rng.random() < 0.8 else None,
    )


def generate_people(region_code: str, *, seed: int, size: int, today: date) -> list[Person]:
    """`size` school-age children (6–15) of `region_code`, each with a household record."""
    rng = random.Random(f"facts|{region_code}|{seed}")  # noqa: S311 - synthetic data
    people = []
    for index in range(size):
        born = date(today.year - rng.randint(6, 15), 1, 1) + timedelta(days=rng.randint(0, 364))
        citizen_id = make_citizen_id(region_code, born, 500 + index % 500)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        people.append(seeded_person(rng, citizen_id, name, region_code, today))
    return people


def _day(text: str | None) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text) if text else None


def _text(text: str | None) -> str | None:
    return (text or "").strip() or None


def load_people(path: Path, region_code: str, *, seed: int, today: date) -> list[Person]:
    """Known people from a CSV (see the module's docstring)."""
    rng = random.Random(f"facts|csv|{seed}")  # noqa: S311 - synthetic data
    people = []
    with path.open(newline="", encoding="utf-8-sig") as file:
        for row in csv.DictReader(file):
            citizen_id, name = row["citizen_id"].strip().upper(), row["name"].strip()
            hukou = _text(row.get("hukou_county"))
            if hukou is None:
                people.append(seeded_person(rng, citizen_id, name, region_code, today))
                continue
            people.append(
                Person(
                    citizen_id,
                    name,
                    region_code,
                    hukou,
                    _text(row.get("hukou_address")) or "",
                    _text(row.get("household_head")) or name,
                    _day(row.get("hukou_registered_on")) or date(2015, 1, 1),
                    permit_issued_on=_day(row.get("permit_issued_on")),
                    permit_valid_until=_day(row.get("permit_valid_until")),
                    permit_address=_text(row.get("permit_address")),
                    owned_address=_text(row.get("owned_address")),
                    owned_registered_on=_day(row.get("owned_registered_on")),
                    lease_address=_text(row.get("lease_address")),
                    lease_from=_day(row.get("lease_from")),
                    lease_until=_day(row.get("lease_until")),
                    social_since=_day(row.get("social_since")),
                )
            )
    return people
