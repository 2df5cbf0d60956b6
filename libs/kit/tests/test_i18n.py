"""Messages in the caller's language (junheng_kit.i18n): `Accept-Language` negotiation, the
problem renderer's choice of texts and headers, pydantic's errors in Chinese, validators' own
rules, and the language headers in the OpenAPI."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field, field_validator

from junheng_kit.i18n import AnswerText, RuleError, Text, negotiate, t, validation_text
from junheng_kit.middleware import RequestContextMiddleware
from junheng_kit.problems import (
    PROBLEM_JSON,
    FieldError,
    NotFound,
    document_problem_responses,
    install_problem_handlers,
)


class TestNegotiation:
    @pytest.mark.parametrize(
        ("header", "language"),
        [
            (None, "zh"),
            ("", "zh"),
            ("zh", "zh"),
            ("zh-CN", "zh"),
            ("zh-Hans-CN", "zh"),
            ("en", "en"),
            ("en-US", "en"),
            ("EN-gb", "en"),
            ("fr", "zh"),  # a language the API does not speak: the default
            ("fr, en;q=0.5", "en"),
            ("en;q=0.3, zh;q=0.8", "zh"),
            ("zh;q=0.3, en;q=0.8", "en"),
            ("en, zh", "en"),  # equal q: the first listed
            ("en;q=0, zh-TW", "zh"),  # q=0 means "not this one"
            ("en;q=0", "zh"),
            ("*", "zh"),
            ("en;q=abc", "zh"),  # a malformed q counts as 0
            ("en;q=1.5", "zh"),  # so does one above 1
            ("en;q=nan, zh;q=0.1", "zh"),
        ],
    )
    def test_the_language_of_an_accept_language_value(
        self, header: str | None, language: str
    ) -> None:
        assert negotiate(header) == language


class TestText:
    def test_formats_values_into_both_languages_and_str_is_chinese(self) -> None:
        code = "2115060001"
        text = t(f"学校 {code} 不存在", f"school {code} not found")

        assert (text.zh, text.en) == ("学校 2115060001 不存在", "school 2115060001 not found")
        assert str(text) == text.pick("zh") == "学校 2115060001 不存在"
        assert text.pick("en") == "school 2115060001 not found"
        assert text + "。" == Text("学校 2115060001 不存在。", "school 2115060001 not found。")
        assert "not found" in text
        assert "不存在" in text

    def test_pydantic_errors_get_a_chinese_text_with_their_values(self) -> None:
        text = validation_text(
            "less_than_equal", "Input should be less than or equal to 9", {"le": 9}
        )
        assert (text.zh, text.en) == ("应小于或等于 9", "Input should be less than or equal to 9")

    def test_an_unknown_pydantic_error_keeps_english_and_names_its_type(self) -> None:
        text = validation_text("complex_type", "Input should be a valid complex number", None)
        assert text.zh == "Input should be a valid complex number（complex_type）"
        assert text.en == "Input should be a valid complex number"


class Pupil(BaseModel):
    name: str = Field(max_length=4)
    grade: int = Field(ge=1, le=9)
    birth_date: str | None = None

    @field_validator("birth_date")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value == "2099-01-01":
            raise RuleError(
                "birth_date_past", t("出生日期在未来", "the birth date is in the future")
            )
        return value


class Finding(BaseModel):
    key: str
    detail: AnswerText


def app() -> FastAPI:
    api = FastAPI()
    install_problem_handlers(api)
    api.add_middleware(RequestContextMiddleware)

    @api.post("/pupils")
    async def create(pupil: Pupil) -> Pupil:
        return pupil

    @api.get("/pupils/{pupil_id}")
    async def read(pupil_id: str) -> Pupil:
        raise NotFound(
            t(f"学生 {pupil_id} 不存在", f"pupil {pupil_id} not found"),
            FieldError("pupil_id", "pupil_known", t("请检查编号", "check the id")),
        )

    @api.get("/findings")
    async def findings() -> list[Finding]:
        return [Finding(key="class_size", detail=t("3 个班超过 45 人", "3 classes over 45"))]

    @api.get("/plain")
    async def plain() -> Finding:
        return Finding(key="plain", detail="no text to choose")

    @api.get("/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    return api


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def problem(response: httpx.Response, status: int, language: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["content-language"] == language
    assert "Accept-Language" in response.headers["vary"]
    body: dict[str, Any] = response.json()
    return body


class TestProblems:
    async def test_a_domain_error_in_chinese_by_default_and_english_on_request(
        self, http: httpx.AsyncClient
    ) -> None:
        zh = problem(await http.get("/pupils/p1"), 404, "zh")
        en = problem(await http.get("/pupils/p1", headers={"Accept-Language": "en-US"}), 404, "en")

        assert (zh["title"], zh["detail"]) == ("资源不存在", "学生 p1 不存在")
        assert (en["title"], en["detail"]) == ("Resource not found", "pupil p1 not found")
        assert zh["errors"] == [
            {"field": "pupil_id", "rule": "pupil_known", "message": "请检查编号"}
        ]
        assert en["errors"] == [
            {"field": "pupil_id", "rule": "pupil_known", "message": "check the id"}
        ]
        assert zh["type"] == en["type"] == "urn:junheng:problem:not-found"

    async def test_schema_errors_in_both_languages_with_pydantics_type_as_the_rule(
        self, http: httpx.AsyncClient
    ) -> None:
        body = {"name": "一二三四五", "grade": "x"}
        zh = problem(await http.post("/pupils", json=body), 422, "zh")
        en = problem(
            await http.post("/pupils", json=body, headers={"Accept-Language": "en"}), 422, "en"
        )

        assert [(e["field"], e["rule"], e["message"]) for e in zh["errors"]] == [
            ("name", "string_too_long", "至多 4 个字符"),
            ("grade", "int_parsing", "应为整数"),
        ]
        assert [(e["field"], e["rule"]) for e in en["errors"]] == [
            ("name", "string_too_long"),
            ("grade", "int_parsing"),
        ]
        assert en["errors"][0]["message"] == "String should have at most 4 characters"
        assert (zh["title"], en["title"]) == (
            "请求不符合接口定义",
            "Request does not match the schema",
        )

    async def test_missing_and_extra_fields_and_bad_json(self, http: httpx.AsyncClient) -> None:
        missing = problem(await http.post("/pupils", json={"name": "a"}), 422, "zh")
        assert [(e["field"], e["rule"], e["message"]) for e in missing["errors"]] == [
            ("grade", "missing", "缺少必填字段")
        ]
        broken = problem(
            await http.post("/pupils", content=b"{", headers={"content-type": "application/json"}),
            400,
            "zh",
        )
        assert broken["detail"] == "请求体不是有效的 JSON"
        assert broken["errors"][0]["rule"] == "json_invalid"
        assert broken["errors"][0]["message"].startswith("不是有效的 JSON")

    async def test_a_validators_rule_error_keeps_its_rule_in_both_languages(
        self, http: httpx.AsyncClient
    ) -> None:
        body = {"name": "a", "grade": 1, "birth_date": "2099-01-01"}
        zh = problem(await http.post("/pupils", json=body), 422, "zh")
        en = problem(
            await http.post("/pupils", json=body, headers={"Accept-Language": "en"}), 422, "en"
        )

        assert zh["errors"] == [
            {"field": "birth_date", "rule": "birth_date_past", "message": "出生日期在未来"}
        ]
        assert en["errors"][0]["message"] == "the birth date is in the future"

    async def test_framework_answers_are_localized_too(self, http: httpx.AsyncClient) -> None:
        zh = problem(await http.get("/nowhere"), 404, "zh")
        en = problem(await http.get("/nowhere", headers={"Accept-Language": "en"}), 404, "en")
        assert (zh["detail"], en["detail"]) == ("资源不存在", "Resource not found")

        refused = problem(await http.delete("/pupils/p1"), 405, "zh")
        assert refused["title"] == "不支持该请求方法"

        failed = problem(await http.get("/boom", headers={"Accept-Language": "en"}), 500, "en")
        assert failed["title"] == "Internal error"
        assert problem(await http.get("/boom"), 500, "zh")["title"] == "内部错误"


class TestAnswerTexts:
    async def test_an_answers_text_is_sent_in_the_callers_language_and_says_so(
        self, http: httpx.AsyncClient
    ) -> None:
        zh = await http.get("/findings")
        en = await http.get("/findings", headers={"Accept-Language": "en"})

        assert zh.json() == [{"key": "class_size", "detail": "3 个班超过 45 人"}]
        assert en.json() == [{"key": "class_size", "detail": "3 classes over 45"}]
        assert (zh.headers["content-language"], en.headers["content-language"]) == ("zh", "en")
        assert en.headers["vary"] == "Accept-Language"

    async def test_an_answer_without_such_a_text_does_not_vary(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.get("/plain", headers={"Accept-Language": "en"})
        assert response.json()["detail"] == "no text to choose"
        assert "content-language" not in response.headers
        assert "vary" not in response.headers

    def test_the_schema_says_string(self) -> None:
        schema = Finding.model_json_schema()
        assert schema["properties"]["detail"] == {"title": "Detail", "type": "string"}


class TestOpenAPI:
    def test_accept_language_and_content_language_are_documented_on_every_operation(
        self,
    ) -> None:
        document = document_problem_responses(app().openapi())

        components = document["components"]
        assert "zh (default) or en" in components["schemas"]["AcceptLanguage"]["description"]
        assert components["headers"]["ContentLanguage"]["schema"]["enum"] == ["zh", "en"]
        operation = document["paths"]["/pupils/{pupil_id}"]["get"]
        [accept_language] = [p for p in operation["parameters"] if p["in"] == "header"]
        assert accept_language == {
            "name": "Accept-Language",
            "in": "header",
            "required": False,
            "schema": {"$ref": "#/components/schemas/AcceptLanguage"},
        }
        assert operation["responses"]["404"]["headers"] == {
            "Content-Language": {"$ref": "#/components/headers/ContentLanguage"}
        }
