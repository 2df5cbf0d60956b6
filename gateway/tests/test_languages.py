"""Messages in the caller's language through the gateway (issue 18 item 4): the same bad request
is answered in Chinese by default and in English with `Accept-Language: en`, with the same rule
id; the service's `Content-Language` and `Vary` reach the caller; the gateway's own problems
follow the same header. The service here is a small FastAPI app with the kit's real problem
handlers and request middleware, served over NATS by the kit's BridgeServer as `assistance`
(which nobody else serves in these tests)."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from junheng_kit.bridge import BridgeServer
from junheng_kit.i18n import t
from junheng_kit.messaging.connection import connect, ensure_buckets, ensure_service_assets
from junheng_kit.middleware import RequestContextMiddleware
from junheng_kit.problems import PROBLEM_JSON, FieldError, RuleViolated, install_problem_handlers
from junheng_kit.testing.plugin import auth


class Pupil(BaseModel):
    name: str = Field(max_length=4)
    grade: int = Field(ge=1, le=9)


def kit_service() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware)

    @app.post("/v1/pupils", status_code=201)
    async def create(pupil: Pupil) -> Pupil:
        if pupil.grade > 6:
            raise RuleViolated(
                t("不符合入学年级规则", "the entry grade rule is not met"),
                FieldError(
                    "grade", "grade_in_level", t("小学为 1–6 年级", "primary is grades 1–6")
                ),
            )
        return pupil

    return app


@pytest.fixture
async def assistance(nats_url: str) -> AsyncIterator[None]:
    nc = await connect(nats_url, "test-languages")
    js = nc.jetstream()
    await ensure_buckets(js)
    await ensure_service_assets(js, "assistance", 1)
    server = BridgeServer(kit_service(), nc, js, "assistance")
    await server.start()
    await nc.flush()
    yield
    await server.stop()
    await nc.close()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.usefixtures("assistance")
class TestServiceProblems:
    async def test_a_rule_is_told_in_chinese_by_default_and_in_english_on_request(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        token = auth(gateway_token("assistance:write"))
        body = {"name": "小明", "grade": 8}
        chinese = await http.post("/assistance/v1/pupils", json=body, headers=token)
        english = await http.post(
            "/assistance/v1/pupils", json=body, headers={**token, "Accept-Language": "en-US"}
        )

        zh, en = problem(chinese, 422), problem(english, 422)
        assert (zh["title"], zh["detail"]) == ("不符合政策规则", "不符合入学年级规则")
        assert (en["title"], en["detail"]) == (
            "A policy rule is not met",
            "the entry grade rule is not met",
        )
        assert zh["errors"] == [
            {"field": "grade", "rule": "grade_in_level", "message": "小学为 1–6 年级"}
        ]
        assert en["errors"] == [
            {"field": "grade", "rule": "grade_in_level", "message": "primary is grades 1–6"}
        ]
        assert zh["type"] == en["type"] == "urn:junheng:problem:rule-violated"
        assert chinese.headers["content-language"] == "zh"
        assert english.headers["content-language"] == "en"
        assert "Accept-Language" in english.headers["vary"]

    async def test_schema_errors_keep_pydantics_type_as_the_rule(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        token = auth(gateway_token("assistance:write"))
        body = {"name": "一二三四五", "grade": 0}
        chinese = problem(await http.post("/assistance/v1/pupils", json=body, headers=token), 422)
        english = problem(
            await http.post(
                "/assistance/v1/pupils", json=body, headers={**token, "Accept-Language": "en"}
            ),
            422,
        )

        rules = [(e["field"], e["rule"]) for e in chinese["errors"]]
        assert rules == [("name", "string_too_long"), ("grade", "greater_than_equal")]
        assert rules == [(e["field"], e["rule"]) for e in english["errors"]]
        assert [e["message"] for e in chinese["errors"]] == ["至多 4 个字符", "应大于或等于 1"]
        assert english["errors"][1]["message"] == "Input should be greater than or equal to 1"
        assert chinese["title"] == "请求不符合接口定义"
        assert english["title"] == "Request does not match the schema"

    async def test_a_language_the_api_does_not_speak_is_answered_in_chinese(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        response = await http.post(
            "/assistance/v1/pupils",
            json={"name": "x", "grade": 7},
            headers={**auth(gateway_token("assistance:write")), "Accept-Language": "fr, de;q=0.8"},
        )

        assert problem(response, 422)["detail"] == "不符合入学年级规则"
        assert response.headers["content-language"] == "zh"


class TestGatewayProblems:
    @pytest.mark.parametrize(
        ("accept_language", "language", "detail"),
        [
            (None, "zh", "需要 bearer 令牌"),
            ("en", "en", "a bearer token is required"),
            ("en;q=0.5, zh-CN", "zh", "需要 bearer 令牌"),
        ],
    )
    async def test_a_missing_token_is_told_in_the_callers_language(
        self, http: httpx.AsyncClient, accept_language: str | None, language: str, detail: str
    ) -> None:
        headers = {"Accept-Language": accept_language} if accept_language else {}
        response = await http.get("/enrollment/v1/items/1", headers=headers)

        body = problem(response, 401)
        assert body["detail"] == detail
        assert body["errors"][0]["rule"] == "bearer_token_required"
        assert response.headers["content-language"] == language
        assert response.headers["vary"] == "Accept-Language"
