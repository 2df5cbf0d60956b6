"""寄宿政策: the roster's boarding rule as effective-dated, scoped, cited policy data (no I/O).

Seed 000 (内蒙古自治区教育厅《构建优质均衡的基本公共教育服务体系主要任务分工》, PROV-NM, OFF),
task 一 (优化义务教育学校布局):

    "原则上小学上3年级学生不寄宿,就近走读上学,路途时间一般不超过半小时;4-6年级学生以走读为主,
    在住宿、生活、交通、安全等有保障的前提下可适当寄宿,具体由县级人民政府根据当地实际确定。"

How "小学上3年级" is read: grades 1–3 (小学三年级及以下). The next clause covers "4-6年级", so the
first covers the grades below it; "上3年级" is the text's way of writing the usual "三年级及以下"
(3 included) of this rule in other provinces' documents. domain.md §2.1 reads it the same and
names the parameter `boarding_min_grade=4`: a primary pupil below grade 4 does not board.

Both clauses are "in principle" (原则上, 一般): a county may have approved exceptions, so the
roster flags a young boarder (`young_boarder`) and never refuses one.

Scope: only Inner Mongolia ("15") has a row. No national rule is invented, so a county outside
15 has no rule in force and its pupils carry no flag. The text has no date of issue; like the
staffing policy book, the rule takes effect on the date the document was published (uploaded
2023-09-26, the only date it carries). The most specific scope in force on a date wins, so a
county's or another province's row can be added here with its own citation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

Evidence = Literal["OFF", "SEC", "UNCONF", "DERIVED"]


@dataclass(frozen=True, slots=True)
class BoardingRule:
    """原则上不寄宿: primary pupils below `boarding_min_grade` do not board, in principle."""

    version: str
    scope: str  # GB/T 2260 prefix: "15" Inner Mongolia, "150602" one county
    effective_from: date
    effective_to: date | None  # exclusive; None = still in force
    boarding_min_grade: int  # the lowest primary grade that may board (4: grades 1–3 do not)
    source: str
    evidence: Evidence

    def is_in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def covers(self, county_code: str) -> bool:
        return county_code.startswith(self.scope)


SEED_000_FROM = date(2023, 9, 26)  # seed 000 has no date of issue: its upload date

INNER_MONGOLIA_2023 = BoardingRule(
    version="seed000/boarding_min_grade=4",
    scope="15",
    effective_from=SEED_000_FROM,
    effective_to=None,
    boarding_min_grade=4,
    source=(
        "内蒙古自治区教育厅《构建优质均衡的基本公共教育服务体系主要任务分工》（seed 000，"
        "2023-09-26 上传，无文号）：原则上小学上3年级学生不寄宿，就近走读上学；4-6年级学生以走读"
        "为主，可适当寄宿。“上3年级”按三年级及以下（1–3年级）理解。domain.md §2.1（PROV-NM）"
    ),
    evidence="OFF",
)

BOARDING_RULES: tuple[BoardingRule, ...] = (INNER_MONGOLIA_2023,)


def rule_in_force(
    county_code: str, on: date, rules: Sequence[BoardingRule] = BOARDING_RULES
) -> BoardingRule | None:
    """The most specific scope in force on `on` (then the latest `effective_from`); None: the
    county has no boarding rule, and its pupils no flag."""
    candidates = [r for r in rules if r.covers(county_code) and r.is_in_force(on)]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (len(r.scope), r.effective_from))


@dataclass(frozen=True, slots=True)
class ScopeBound:
    """Where one rule decides: counties under `scope` but under none of `except_scopes` (more
    specific rules in force, which decide there instead)."""

    scope: str
    except_scopes: tuple[str, ...]
    boarding_min_grade: int


def bounds_in_force(on: date, rules: Sequence[BoardingRule] = BOARDING_RULES) -> list[ScopeBound]:
    """The rules in force on `on` as disjoint county ranges, for a query over many counties.

    Within one scope the latest `effective_from` wins, as in `rule_in_force`."""
    winners: dict[str, BoardingRule] = {}
    for rule in rules:
        if rule.is_in_force(on):
            held = winners.get(rule.scope)
            if held is None or rule.effective_from > held.effective_from:
                winners[rule.scope] = rule
    return [
        ScopeBound(
            scope,
            tuple(sorted(s for s in winners if s != scope and s.startswith(scope))),
            rule.boarding_min_grade,
        )
        for scope, rule in sorted(winners.items())
    ]
