"""The routes that build millions of small, cycle-free objects — sheet imports and 电脑派位
runs — run with Python's cyclic collector paused (at the edge: the domain code does not know)."""

from fastapi.routing import APIRoute

from enrollment.admission.endpoints import router as applications
from enrollment.imports.endpoints import router as imports
from enrollment.lottery.endpoints import router as runs
from junheng_kit.gc_pause import CollectorPausedRoute


def paused(router: object) -> dict[tuple[str, str], bool]:
    return {
        (method, route.path): isinstance(route, CollectorPausedRoute)
        for route in getattr(router, "routes", [])
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def test_sheet_imports_and_assignment_runs_pause_the_collector() -> None:
    bulk = {**paused(imports), **paused(runs)}
    assert bulk[("POST", "/v1/application-imports")]
    assert bulk[("POST", "/v1/school-imports")]
    assert bulk[("POST", "/v1/assignment-runs")]
    assert all(bulk.values())


def test_a_single_application_does_not() -> None:
    assert not paused(applications)[("POST", "/v1/applications")]
