"""路途时间上限: the commute limit as effective-dated, scoped, cited policy data (no I/O).

Seed 000 (内蒙古自治区教育厅《构建优质均衡的基本公共教育服务体系主要任务分工》, PROV-NM, OFF),
task 一 (优化义务教育学校布局):

    "原则上小学上3年级学生不寄宿,就近走读上学,路途时间一般不超过半小时;4-6年级学生以走读为主,
    在住宿、生活、交通、安全等有保障的前提下可适当寄宿,具体由县级人民政府根据当地实际确定。"

The half hour belongs to the pupils of the first clause, read as primary grades 1–3 (小学三年级及
以下: the next clause covers "4-6年级"; domain.md §2.1, `max_commute_min_g1_3=30`). 不超过 N is
≤ N (domain.md §0): 30 minutes is within the limit, anything longer is over it. 一般 (as a rule)
makes it a finding on an offer, never a refusal.

Scope: Inner Mongolia ("15") only; no national limit is invented, so elsewhere (and for junior
entrants) offers carry no flag. The text has no date of issue: the rule takes effect on its
upload date, 2023-09-26, the only date it carries (as in the staffing policy book). The limit
says nothing of how the trip is made: the county's travel model (mode, speed, detour factor) is
its own data, set through `/v1/counties/{county}/commute-models`; no source gives a speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Level = Literal["primary", "junior"]
Evidence = Literal["OFF", "SEC", "UNCONF", "DERIVED"]


@dataclass(frozen=True, slots=True)
class CommuteLimit:
    """路途时间一般不超过 `max_minutes`, for pupils of `level` in grades `min_grade`–`max_grade`."""

    version: str
    scope: str  # GB/T 2260 prefix: "15" Inner Mongolia
    effective_from: date
    effective_to: date | None  # exclusive; None = still in force
    level: Level
    min_grade: int  # grades numbered 1–9 across 义务教育 (初一 = 7)
    max_grade: int
    max_minutes: Decimal  # 不超过: a trip of exactly this long is within the limit
    source: str
    evidence: Evidence

    def applies(self, county_code: str, *, level: str, grade: int, on: date) -> bool:
        return (
            county_code.startswith(self.scope)
            and self.level == level
            and self.min_grade <= grade <= self.max_grade
            and self.effective_from <= on
            and (self.effective_to is None or on < self.effective_to)
        )


SEED_000_FROM = date(2023, 9, 26)  # seed 000 has no date of issue: its upload date

INNER_MONGOLIA_2023 = CommuteLimit(
    version="seed000/max_commute_min_g1_3=30",
    scope="15",
    effective_from=SEED_000_FROM,
    effective_to=None,
    level="primary",
    min_grade=1,
    max_grade=3,
    max_minutes=Decimal(30),
    source=(
        "内蒙古自治区教育厅《构建优质均衡的基本公共教育服务体系主要任务分工》（seed 000，"
        "2023-09-26 上传，无文号）：原则上小学上3年级学生不寄宿，就近走读上学，路途时间一般不超过"
        "半小时。“上3年级”按三年级及以下（1–3年级）理解。domain.md §2.1（PROV-NM）"
    ),
    evidence="OFF",
)

COMMUTE_LIMITS: tuple[CommuteLimit, ...] = (INNER_MONGOLIA_2023,)


def limit_in_force(
    county_code: str,
    *,
    level: str,
    grade: int,
    on: date,
    limits: Sequence[CommuteLimit] = COMMUTE_LIMITS,
) -> CommuteLimit | None:
    """The most specific scope in force on `on` for a pupil of `level` and `grade` (then the
    latest `effective_from`); None: no limit, so no flag."""
    candidates = [c for c in limits if c.applies(county_code, level=level, grade=grade, on=on)]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (len(c.scope), c.effective_from))


def school_year_start(year: int) -> date:
    """A run's offers are judged by the rules and model in force when its school year starts."""
    return date(year, 9, 1)
