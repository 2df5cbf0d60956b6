import gc

import pytest

from junheng_kit.gc_pause import collector_paused


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves the outer pause in force
    assert gc.isenabled()


def test_an_exception_inside_still_restores_the_collector() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_keep_the_collector_off_until_the_last_ends() -> None:
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second still runs
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


async def test_a_route_runs_with_the_collector_paused_and_restores_it() -> None:
    import httpx
    from fastapi import APIRouter, FastAPI

    from junheng_kit.gc_pause import CollectorPausedRoute

    router = APIRouter(route_class=CollectorPausedRoute)

    @router.post("/echo")
    async def echo(body: dict[str, int]) -> dict[str, bool]:
        return {"collector_enabled": gc.isenabled(), **{k: bool(v) for k, v in body.items()}}

    app = FastAPI()
    app.include_router(router)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.post("/echo", json={"a": 1})
    assert response.json() == {"collector_enabled": False, "a": True}
    assert gc.isenabled()
