"""An unexpected error in a service reaches the caller as the service's 500 problem (issue 8 §1:
fuzzing through the gateway saw a bare 502 without request id instead)."""

import asyncio
import json
from typing import Any

import pytest
from fastapi import APIRouter

from junheng_kit.app import build_service_app
from junheng_kit.bridge import call_asgi, header_json
from junheng_kit.testing.plugin import small_service_settings


def app_with_a_failing_route() -> object:
    router = APIRouter()

    @router.get("/v1/broken")
    async def broken() -> dict[str, str]:
        raise RuntimeError("a bug, not bad input")

    @router.get("/v1/fine")
    async def fine() -> dict[str, str]:
        return {"status": "fine"}

    settings = small_service_settings("bridged")
    return build_service_app(settings, title="bridged", description="", routers=[router])


async def call(app: object, path: str) -> tuple[int, dict[str, str], bytes]:
    status, headers, body = await call_asgi(
        app,
        method="GET",
        path=path,
        query="",
        headers=[("x-request-id", "fuzz-1")],
        body=b"",
    )
    return status, dict(headers), body


class TestCallAsgi:
    async def test_an_unexpected_error_answers_the_apps_500_problem(self) -> None:
        status, headers, body = await call(app_with_a_failing_route(), "/v1/broken")
        assert status == 500
        assert headers["content-type"] == "application/problem+json"
        problem = json.loads(body)
        assert (problem["type"], problem["status"]) == ("urn:junheng:problem:internal", 500)
        assert problem["instance"].startswith("urn:junheng:request:")
        assert "a bug" not in body.decode()  # no internals

    async def test_a_normal_answer_is_unchanged(self) -> None:
        status, _, body = await call(app_with_a_failing_route(), "/v1/fine")
        assert (status, json.loads(body)) == (200, {"status": "fine"})

    async def test_an_error_before_any_answer_still_raises(self) -> None:
        async def no_answer(scope: object, receive: object, send: object) -> None:
            raise RuntimeError("nothing sent")

        with pytest.raises(RuntimeError, match="nothing sent"):
            await call(no_answer, "/v1/anything")

    async def test_the_500_problem_names_the_request_it_answers(self) -> None:
        """Starlette answers a 500 outside the request-id middleware; the id still reaches the
        body's `instance` and the X-Request-ID header, so a bureau can quote it."""
        status, headers, body = await call(app_with_a_failing_route(), "/v1/broken")
        assert status == 500
        assert json.loads(body)["instance"] == "urn:junheng:request:fuzz-1"
        assert headers["x-request-id"] == "fuzz-1"

    async def test_the_answer_does_not_wait_for_work_after_it(self) -> None:
        """As over HTTP: what an app does after its answer (the idempotency record is stored
        after the response) must not hold the bridged caller; it still runs to its end."""
        finish = asyncio.Event()
        finished: list[str] = []

        async def app(scope: object, receive: object, send: Any) -> None:
            await send({"type": "http.response.start", "status": 201, "headers": []})
            await send({"type": "http.response.body", "body": b"made", "more_body": False})
            await finish.wait()  # e.g. a write queued behind other writers
            finished.append("after")

        status, _, body = await asyncio.wait_for(
            call_asgi(app, method="POST", path="/v1/x", query="", headers=[], body=b""),
            timeout=5,
        )
        assert (status, body, finished) == (201, b"made", [])
        finish.set()
        for _ in range(10):
            await asyncio.sleep(0)
        assert finished == ["after"]

    async def test_an_app_that_fails_before_answering_raises_to_the_bridge(self) -> None:
        async def app(scope: object, receive: object, send: Any) -> None:
            raise RuntimeError("no answer")

        with pytest.raises(RuntimeError, match="no answer"):
            await call_asgi(app, method="GET", path="/v1/x", query="", headers=[], body=b"")

    async def test_an_app_that_returns_without_answering_is_a_500_not_a_hang(self) -> None:
        async def silent(scope: object, receive: object, send: Any) -> None:
            return None

        status, headers, body = await asyncio.wait_for(
            call_asgi(silent, method="GET", path="/v1/x", query="", headers=[], body=b""),
            timeout=5,
        )
        assert (status, headers, body) == (500, [], b"")

    async def test_an_app_stopped_before_answering_gives_no_answer(self) -> None:
        """Shutdown cancels a request mid-way: the bridge sends nothing rather than a 500 that
        would say the request failed (it may be retried elsewhere)."""

        async def stopped(scope: object, receive: object, send: Any) -> None:
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            await call_asgi(stopped, method="POST", path="/v1/x", query="", headers=[], body=b"")

    async def test_a_caller_that_goes_away_does_not_stop_the_apps_work(self) -> None:
        """The gateway gave up (timeout, client gone): the request still runs to its end, as
        over HTTP, so a write it began is not cut in half."""
        release = asyncio.Event()
        finished: list[str] = []

        async def slow(scope: object, receive: object, send: Any) -> None:
            await release.wait()
            finished.append("written")
            await send({"type": "http.response.start", "status": 201, "headers": []})
            await send({"type": "http.response.body", "body": b"late", "more_body": False})

        caller = asyncio.create_task(
            call_asgi(slow, method="POST", path="/v1/x", query="", headers=[], body=b"")
        )
        await asyncio.sleep(0.01)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        release.set()
        for _ in range(10):
            await asyncio.sleep(0)
        assert finished == ["written"]


class TestHeaderJson:
    def test_plain_values_round_trip(self) -> None:
        value = {"status": 201, "headers": [["location", "/v1/applications/0190"]]}
        assert json.loads(header_json(value)) == value

    def test_a_value_beyond_ascii_is_escaped_and_round_trips(self) -> None:
        """NATS headers carry ASCII: a latin-1 header value (allowed in HTTP) stays escaped."""
        value = {"headers": [["content-disposition", 'attachment; filename="résumé.pdf"']]}
        text = header_json(value)
        assert text.isascii()
        assert json.loads(text) == value
