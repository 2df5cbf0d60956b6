"""交流轮岗 pool rules, and the purity of every rules and optimiser module of the rotation."""

import ast
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from staffing.rotation import rules
from staffing.rotation.rules import eligible_pool, priority_ids

from .instance import ON, PARAMETERS, teacher


class TestPool:
    def test_six_years_at_the_school_and_five_years_before_retirement(self) -> None:
        pool = eligible_pool(
            [
                teacher("a", joined=date(2019, 9, 1)),  # exactly 6 years on 2025-09-01
                teacher("b", joined=date(2019, 9, 2)),  # one day short
                teacher("c", retires=date(2030, 8, 31)),  # under 5 years left
                teacher("d", retires=date(2030, 9, 1)),  # exactly 5 years left
                teacher("e", in_quota=False),
            ],
            PARAMETERS,
            ON,
        )

        assert [t.teacher_id for t in pool.eligible] == ["a", "d"]
        assert pool.excluded == {
            "under_trigger_years": 1,
            "near_retirement": 1,
            "not_in_quota_full_time": 1,
        }

    def test_the_pool_follows_the_countys_years_not_the_six_of_the_priority_rule(self) -> None:
        """Seed 000: "原则上在同一学校连续任教达到6年的校长和优秀骨干教师应优先进行交流轮岗" — who
        goes first, not who may go: with the county's own condition of 3 years, a backbone
        teacher of 4 years is eligible, and not a priority candidate."""
        parameters = replace(PARAMETERS, trigger_years=3, priority_years=6)
        pool = eligible_pool(
            [
                teacher("four", joined=date(2021, 9, 1), backbone=True),
                teacher("two", joined=date(2023, 9, 1), backbone=True),
                teacher("ten", joined=date(2015, 9, 1), backbone=True),
            ],
            parameters,
            ON,
        )

        assert [t.teacher_id for t in pool.eligible] == ["four", "ten"]
        assert pool.excluded == {"under_trigger_years": 1}
        assert pool.priority == frozenset({"ten"})

    def test_required_count_is_ten_percent_of_eligible_rounded_up(self) -> None:
        assert (rules.ceil_share(Decimal("0.10"), 25), rules.ceil_share(Decimal("0.10"), 30)) == (
            3,
            3,
        )


class TestPriority:
    """Seed 000: "原则上在同一学校连续任教达到6年的校长和优秀骨干教师应优先进行交流轮岗"."""

    def test_principals_and_backbone_teachers_with_six_years_go_first(self) -> None:
        # on 2025-09-01: 2019-09-01 is exactly 6 years, 2019-09-02 one day short
        eligible = [
            teacher("principal_6", joined=date(2019, 9, 1), principal=True),
            teacher("principal_short", joined=date(2019, 9, 2), principal=True),
            teacher("backbone_10", backbone=True),
            teacher("vice_10", vice_principal=True),
            teacher("vice_backbone_10", vice_principal=True, backbone=True),
            teacher("teacher_10"),
        ]
        parameters = replace(PARAMETERS, trigger_years=1, priority_years=6)

        assert priority_ids(eligible, parameters, ON) == frozenset(
            {"principal_6", "backbone_10", "vice_backbone_10"}
        )

    def test_sichuans_nine_years_leave_a_principal_of_eight_to_the_optimiser(self) -> None:
        eligible = [teacher("principal_8", joined=date(2017, 9, 1), principal=True)]
        nine = replace(PARAMETERS, priority_years=9)

        assert priority_ids(eligible, nine, ON) == frozenset()

    def test_without_a_priority_rule_nobody_goes_first(self) -> None:
        eligible = [teacher("backbone_10", backbone=True)]

        assert priority_ids(eligible, replace(PARAMETERS, priority_years=None), ON) == frozenset()


ROTATION = Path(rules.__file__).parent
SOURCE_ROOT = ROTATION.parents[1]  # services/staffing/src
PURE = sorted({*ROTATION.rglob("rules.py"), *(ROTATION / "optimiser").glob("*.py")})


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def test_the_pure_modules_are_found() -> None:
    assert {p.relative_to(ROTATION).as_posix() for p in PURE} >= {
        "rules.py",
        "optimiser/rules.py",
        "optimiser/model.py",
        "reports/rules.py",
    }


@pytest.mark.parametrize("path", PURE, ids=lambda p: p.relative_to(ROTATION).as_posix())
def test_rules_import_no_database_web_or_bus_library(path: Path) -> None:
    imported = imported_modules(path)

    assert {name.split(".")[0] for name in imported} & {
        "sqlalchemy",
        "fastapi",
        "httpx",
        "nats",
        "starlette",
    } == set()
    # of the service itself, only other pure modules (no repository, service, models, schemas)
    own = {name for name in imported if name.split(".")[0] == "staffing"}
    assert {SOURCE_ROOT / f"{name.replace('.', '/')}.py" for name in own} <= set(PURE)
