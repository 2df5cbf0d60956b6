"""An agency's synthetic registry: who holds which category, from when to when.

Deterministic from (agency, region code, seed): the same arguments give the same people.
A CSV (`--registry`) adds known people: rows with a category are planted as written; rows with
only `citizen_id,name` are candidates, of whom a seeded share gets one of the agency's
categories (some expired, a few stored under a variant of their name so partial matches exist).
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from junheng_kit.identifiers import citizen_id_from_body

AGENCY_CATEGORIES = {  # the usual registers (domain.md §4.2); PARAM per province
    # 民政 also keeps the rural left-behind children's register (国发〔2016〕13号)
    "mca": (
        "dibao",
        "tekun",
        "orphan",
        "de_facto_unsupported",
        "hardship_child",
        "left_behind_child",
    ),
    "cdpf": ("disabled_student", "disabled_parent"),
    "nrra": ("tuopin", "monitored_relapse"),
    "moa": ("tuopin", "monitored_relapse"),  # Inner Mongolia: 农牧 may hold these
}
GRADED = frozenset({"disabled_student", "disabled_parent"})  # 残疾等级 1–4
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = "子涵欣怡梓轩浩宇一诺雨桐宇航思远佳怡俊杰晨曦嘉怡博文雅婷明轩梦琪天佑诗涵志强建华丽娜秀英"
# characters swapped to make a name variant (homophones and common mis-typings)
VARIANTS = {"涵": "含", "怡": "仪", "轩": "萱", "宇": "雨", "杰": "洁", "婷": "亭", "华": "化"}


@dataclass(frozen=True, slots=True)
class Holding:
    """One category an agency holds for one person (a person may have several)."""

    citizen_id: str
    name: str
    category: str
    grade: int | None
    valid_from: date
    valid_until: date | None
    region_code: str

    @property
    def assertion_id(self) -> str:
        """A stable id of this holding (the agency's record reference, not the record)."""
        digest = hashlib.sha256(f"{self.citizen_id}|{self.category}".encode()).hexdigest()
        return digest[:20]

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def make_citizen_id(region_code: str, born: date, sequence: int) -> str:
    body = f"{region_code}{born:%Y%m%d}{sequence % 1000:03d}"
    return citizen_id_from_body(body)


def variant_of(name: str) -> str:
    """The same name with one character swapped (or a 小 added): a partial match."""
    for index in range(len(name) - 1, 0, -1):
        if name[index] in VARIANTS:
            return name[:index] + VARIANTS[name[index]] + name[index + 1 :]
    return name + "小"


def _holding(
    rng: random.Random,
    citizen_id: str,
    name: str,
    categories: tuple[str, ...],
    region_code: str,
    today: date,
    *,
    expired_share: float,
    variant_share: float,
) -> Holding:
    category = rng.choice(categories)
    valid_from = today - timedelta(days=rng.randint(30, 1500))
    if rng.random() < expired_share:
        valid_until: date | None = today - timedelta(days=rng.randint(1, 300))
    else:
        valid_until = today + timedelta(days=rng.randint(30, 730)) if rng.random() < 0.8 else None
    stored_name = variant_of(name) if rng.random() < variant_share else name
    grade = rng.randint(1, 4) if category in GRADED else None
    return Holding(citizen_id, stored_name, category, grade, valid_from, valid_until, region_code)


def generate(
    agency: str,
    region_code: str,
    *,
    seed: int,
    size: int,
    today: date,
    categories: tuple[str, ...] | None = None,
    expired_share: float = 0.1,
    variant_share: float = 0.05,
) -> list[Holding]:
    """`size` children of school age (6–15) born in `region_code`, each with one category."""
    categories = categories or AGENCY_CATEGORIES[agency]
    rng = random.Random(f"{agency}|{region_code}|{seed}")  # noqa: S311 - synthetic data
    holdings = []
    for index in range(size):
        born = date(today.year - rng.randint(6, 15), 1, 1) + timedelta(days=rng.randint(0, 364))
        citizen_id = make_citizen_id(region_code, born, 500 + index)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        holdings.append(
            _holding(
                rng,
                citizen_id,
                name,
                categories,
                region_code,
                today,
                expired_share=expired_share,
                variant_share=variant_share,
            )
        )
    return holdings


def load_csv(
    path: Path,
    agency: str,
    region_code: str,
    *,
    seed: int,
    today: date,
    share: float,
    categories: tuple[str, ...] | None = None,
) -> list[Holding]:
    """Known people from a CSV: `citizen_id,name[,category,grade,valid_from,valid_until,
    region_code]` (header row required). Planted rows carry a category of this agency (other
    agencies' rows are skipped, so one file can serve all four); candidate rows have none."""
    categories = categories or AGENCY_CATEGORIES[agency]
    rng = random.Random(f"{agency}|csv|{seed}")  # noqa: S311 - synthetic data
    holdings = []
    with path.open(newline="", encoding="utf-8-sig") as file:
        for row in csv.DictReader(file):
            citizen_id, name = row["citizen_id"].strip().upper(), row["name"].strip()
            region = (row.get("region_code") or "").strip() or region_code
            category = (row.get("category") or "").strip()
            if category:
                if category not in categories:
                    continue
                until = (row.get("valid_until") or "").strip()
                grade = (row.get("grade") or "").strip()
                holdings.append(
                    Holding(
                        citizen_id,
                        name,
                        category,
                        int(grade) if grade else None,
                        date.fromisoformat((row.get("valid_from") or "").strip() or "2020-01-01"),
                        date.fromisoformat(until) if until else None,
                        region,
                    )
                )
            elif rng.random() < share:
                holdings.append(
                    _holding(
                        rng,
                        citizen_id,
                        name,
                        categories,
                        region,
                        today,
                        expired_share=0.1,
                        variant_share=0.05,
                    )
                )
    return holdings


class Registry:
    """The holdings, indexed by citizen ID and by region."""

    def __init__(self, holdings: Iterable[Holding]) -> None:
        self.by_citizen: dict[str, list[Holding]] = {}
        self.by_region: dict[str, list[Holding]] = {}
        for holding in holdings:
            self.by_citizen.setdefault(holding.citizen_id, []).append(holding)
            self.by_region.setdefault(holding.region_code, []).append(holding)

    def __len__(self) -> int:
        return sum(len(h) for h in self.by_citizen.values())
