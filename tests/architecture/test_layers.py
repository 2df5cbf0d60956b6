"""Who may import whom: the kit and the contracts are plumbing every service uses, so they import
no service; a service imports no other service (they talk over NATS and HTTP only); the gateway
imports no service; only `junheng_devtools` (the local launchers and demo loaders) drives them
all."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("enrollment", "staffing", "assistance", "evaluation")
PACKAGES = {
    "junheng_kit": ROOT / "libs/kit/src/junheng_kit",
    "junheng_contracts": ROOT / "libs/contracts/src/junheng_contracts",
    "gateway": ROOT / "gateway/src/gateway",
    "agency_sim": ROOT / "simulators/src/agency_sim",
    **{name: ROOT / f"services/{name}/src/{name}" for name in SERVICES},
}
APPLICATIONS = frozenset({*SERVICES, "gateway", "agency_sim", "junheng_devtools"})


def imported_roots(package: Path) -> dict[str, set[str]]:
    """Top-level packages each module of `package` imports (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_a_package_imports_no_application_but_itself(package: str) -> None:
    allowed = {package}
    crossing = {
        module: sorted((names & APPLICATIONS) - allowed)
        for module, names in imported_roots(PACKAGES[package]).items()
        if (names & APPLICATIONS) - allowed
    }
    assert crossing == {}


def test_every_package_is_where_the_test_looks() -> None:
    assert all(path.is_dir() for path in PACKAGES.values())
    assert len(imported_roots(PACKAGES["junheng_kit"])) > 30
