"""交流轮岗 pool rules, and the purity of every rules and optimiser module of the rotation."""

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from staffing.rotation import rules
from staffing.rotation.rules import eligible_pool

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

    def test_required_count_is_ten_percent_of_eligible_rounded_up(self) -> None:
        assert (rules.ceil_share(Decimal("0.10"), 25), rules.ceil_share(Decimal("0.10"), 30)) == (
            3,
            3,
        )


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
