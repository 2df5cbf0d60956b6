"""Domain rules are functions over data (design: "pure rules, I/O at the edges"): every
`rules.py` (and `*_rules.py`, one more responsibility's rules beside it, and `*_checks.py`,
pure checks of a sheet's columns) of the services, the kit and
the gateway imports no I/O library and none of its
service's modules that touch the database, NATS or HTTP. One test over all of them, so a new
rules module is covered the day it is written."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted(
    path
    for pattern in (
        "services/*/src/**/rules.py",
        "services/*/src/**/*_checks.py",
        "services/*/src/**/*_rules.py",
        "libs/*/src/**/rules.py",
        "gateway/src/**/rules.py",
    )
    for path in ROOT.glob(pattern)
)
IO_LIBRARIES = frozenset(
    {
        "aiosqlite",
        "asyncio",
        "asyncpg",
        "fastapi",
        "httpx",
        "nats",
        "os",
        "requests",
        "socket",
        "sqlalchemy",
        "sqlite3",
        "starlette",
        "subprocess",
    }
)
# a service's own modules that do I/O, by their last name (`enrollment.lottery.repository`)
IO_MODULES = frozenset(
    {"app", "consumers", "db", "endpoints", "jobs", "models", "repository", "service", "tables"}
)
KIT_IO = frozenset(
    {
        "junheng_kit.app",
        "junheng_kit.db",
        "junheng_kit.idempotency",
        "junheng_kit.messaging",
        "junheng_kit.middleware",
        "junheng_kit.tables",
    }
)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def is_io(name: str) -> bool:
    parts = name.split(".")
    if parts[0] in IO_LIBRARIES:
        return True
    if parts[0] == "junheng_kit":
        return any(name == kit or name.startswith(f"{kit}.") for kit in KIT_IO)
    return len(parts) > 1 and parts[-1] in IO_MODULES


def io_imports(path: Path) -> list[str]:
    return [name for name in sorted(imported_modules(path)) if is_io(name)]


def test_every_rules_module_is_found() -> None:
    services = {path.relative_to(ROOT).parts[1] for path in RULES if path.parts[-5] != "libs"}
    assert {"enrollment", "staffing", "assistance", "evaluation"} <= services
    assert len(RULES) >= 20


@pytest.mark.parametrize("path", RULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_rules_do_no_io(path: Path) -> None:
    assert io_imports(path) == []


def test_the_guard_sees_an_io_import(tmp_path: Path) -> None:
    module = tmp_path / "rules.py"
    module.write_text(
        "import math\nfrom sqlalchemy import select\nfrom staffing.teachers.repository import x\n"
        "from junheng_kit.problems import FieldError\nfrom junheng_kit.db import SessionDep\n",
        encoding="utf-8",
    )
    assert io_imports(module) == [
        "junheng_kit.db",
        "sqlalchemy",
        "staffing.teachers.repository",
    ]
