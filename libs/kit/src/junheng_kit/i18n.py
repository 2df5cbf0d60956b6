"""Messages in the caller's language: Chinese (the default) and English.

Every text a family, clerk or integrator reads in a problem — `title`, `detail`, each field
error's `message` — is written once in both languages with `t("中文", "English")` (f-strings
format their values into both) and rendered in the language `Accept-Language` asks for
(RFC 9110 §12.5.4 with q-values: `zh`, `zh-CN`, `zh-Hans` … → Chinese; `en`, `en-US` … →
English; anything else or no header → Chinese). Rule ids, `type` URNs and `field` never change
with the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import PlainSerializer, WithJsonSchema

Language = Literal["zh", "en"]
DEFAULT_LANGUAGE: Language = "zh"
LANGUAGES: tuple[Language, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """One message in Chinese and English; `str()` is the Chinese (the default language)."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh

    def pick(self, language: str) -> str:
        return self.en if language == "en" else self.zh

    def __add__(self, other: str | Text) -> Text:
        if isinstance(other, Text):
            return Text(self.zh + other.zh, self.en + other.en)
        return Text(self.zh + other, self.en + other)

    def __contains__(self, part: str) -> bool:
        """Whether either language's text holds `part`."""
        return part in self.zh or part in self.en


def t(zh: str, en: str) -> Text:
    """`t("学校代码格式不正确", "school code has the wrong format")`."""
    return Text(zh, en)


Message = str | Text
"""What FieldError.message and DomainError.detail accept: a `Text` (our code), or a plain str
(third-party text, kept for compatibility; tests/architecture forbids single-language literals
in our code)."""


def localized(message: Message, language: str) -> str:
    return message.pick(language) if isinstance(message, Text) else message


def negotiate(accept_language: str | None) -> Language:
    """The language of an `Accept-Language` value: the supported one with the highest q (the
    earlier on a tie); `*` means the default; none acceptable or a malformed value → Chinese."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if not 0 < q <= 1:  # q=0 is "not this one"; a q outside 0–1 (or NaN) is malformed
            continue
        primary = tag.split("-", 1)[0]
        language: Language | None
        if primary in LANGUAGES:
            language = "en" if primary == "en" else "zh"
        elif tag == "*":
            language = DEFAULT_LANGUAGE
        else:
            language = None
        if language is not None and (best is None or (q, -position) > (best[0], best[1])):
            best = (q, -position, language)
    return best[2] if best is not None else DEFAULT_LANGUAGE


_accept_language: ContextVar[str | None] = ContextVar("junheng_accept_language", default=None)


def set_accept_language(value: str | None) -> object:
    """Remember the request's `Accept-Language` (RequestContextMiddleware); parsed only when a
    message is rendered."""
    return _accept_language.set(value)


def reset_accept_language(token: object) -> None:
    _accept_language.reset(token)  # type: ignore[arg-type]


def current_language() -> Language:
    return negotiate(_accept_language.get())


def language_of_scope(scope: Mapping[str, Any]) -> Language:
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            return negotiate(value.decode("latin-1"))
    return DEFAULT_LANGUAGE


def language_headers(language: str) -> dict[str, str]:
    """The headers of an answer whose text was chosen by `Accept-Language`."""
    return {"Content-Language": language, "Vary": "Accept-Language"}


ACCEPT_LANGUAGE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "title": "AcceptLanguage",
    "description": (
        "消息语言：zh（默认）或 en，按 RFC 9110 的 q 值选择；其他语言按中文回答。"
        " / Language of messages: zh (default) or en, chosen by RFC 9110 q-values; any other "
        "language is answered in Chinese."
    ),
    "examples": ["zh-CN", "en"],
}
CONTENT_LANGUAGE_HEADER: dict[str, Any] = {
    "description": "消息所用语言 / Language of the messages (zh or en)",
    "schema": {"type": "string", "enum": list(LANGUAGES)},
}
ACCEPT_LANGUAGE_PARAMETER: dict[str, Any] = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "schema": {"$ref": "#/components/schemas/AcceptLanguage"},
}
CONTENT_LANGUAGE_REF = "#/components/headers/ContentLanguage"
LANGUAGE_COMPONENTS: dict[str, dict[str, Any]] = {
    "schemas": {"AcceptLanguage": ACCEPT_LANGUAGE_SCHEMA},
    "headers": {"ContentLanguage": CONTENT_LANGUAGE_HEADER},
}
"""The language headers, described once per document: `Accept-Language` on every API operation
(its schema the component `AcceptLanguage`), `Content-Language` on every problem answer (the
header component `ContentLanguage`)."""


def with_language_components(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    for section, entries in LANGUAGE_COMPONENTS.items():
        for name, value in entries.items():
            components.setdefault(section, {}).setdefault(name, value)
    return document


# Texts in answers (a verdict's failing items, a plan's warnings): the schema field is a plain
# string, chosen by `Accept-Language` as problems are; an answer that carried one says so with
# Content-Language and Vary (RequestContextMiddleware).
_answer_languages: ContextVar[list[str] | None] = ContextVar(
    "junheng_answer_languages", default=None
)


def track_answer_languages() -> tuple[object, list[str]]:
    """Start noting the languages this request's answer texts were rendered in."""
    used: list[str] = []
    return _answer_languages.set(used), used


def reset_answer_languages(token: object) -> None:
    _answer_languages.reset(token)  # type: ignore[arg-type]


def _render_answer_text(value: Text | str) -> str:
    if not isinstance(value, Text):
        return value
    language = current_language()
    used = _answer_languages.get()
    if used is not None:
        used.append(language)
    return value.pick(language)


AnswerText = Annotated[
    Text | str,
    PlainSerializer(_render_answer_text, return_type=str),
    WithJsonSchema({"type": "string"}),
]
"""A schema field holding a text people read: built with `t(…)`, sent in the caller's language
(junheng_kit.i18n's convention for answers: one string, chosen by `Accept-Language`)."""

# Chinese texts of the pydantic error types our schemas produce, by type id; `{name}` takes the
# error's `ctx` value of that name. The English text is pydantic's own message.
_VALIDATION_ZH: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许此字段",
    "string_type": "应为字符串",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "至多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符合 {pattern}",
    "string_unicode": "应为有效的 Unicode 字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能有小数部分",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "至多 {max_digits} 位数字",
    "decimal_max_places": "小数至多 {decimal_places} 位",
    "finite_number": "应为有限数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值（true 或 false）",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "too_short": "至少 {min_length} 项",
    "too_long": "至多 {max_length} 项",
    "list_type": "应为数组",
    "set_type": "应为数组",
    "tuple_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为不含时间的日期",
    "date_past": "应为过去的日期",
    "date_future": "应为将来的日期",
    "datetime_type": "应为日期时间（ISO 8601）",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "datetime_from_date_parsing": "应为日期时间（ISO 8601）",
    "timezone_aware": "应带时区",
    "timezone_naive": "不应带时区",
    "time_type": "应为时间（HH:MM:SS）",
    "time_parsing": "应为时间（HH:MM:SS）",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为 UUID",
    "url_type": "应为网址",
    "url_parsing": "应为有效的网址",
    "url_scheme": "网址协议应为 {expected_schemes}",
    "json_invalid": "不是有效的 JSON：{error}",
    "json_type": "应为 JSON 字符串",
    "union_tag_invalid": "类型 {tag} 无效，应为 {expected_tags}",
    "union_tag_not_found": "缺少区分字段 {discriminator}",
    "value_error": "值无效：{error}",
    "assertion_error": "校验未通过：{error}",
    "bytes_type": "应为字节串",
    "is_instance_of": "类型不正确",
    "frozen_instance": "不可修改",
    "frozen_field": "此字段不可修改",
}


def validation_text(error_type: str, message: str, ctx: Mapping[str, Any] | None) -> Text:
    """A pydantic error in both languages: our Chinese text for a type we know, pydantic's
    English message; an unknown type keeps the English text with its type id in Chinese too."""
    template = _VALIDATION_ZH.get(error_type)
    if template is None:
        return Text(f"{message}（{error_type}）", message)
    try:
        return Text(template.format(**dict(ctx or {})), message)
    except (KeyError, IndexError, ValueError):
        return Text(template.split("{", 1)[0].rstrip("：").rstrip(), message)


class RuleError(ValueError):
    """Raised by a schema validator to name its rule and say why in both languages; the
    problem renderer reports it as a field error with that rule id."""

    def __init__(self, rule: str, message: Message) -> None:
        super().__init__(f"{rule}: {localized(message, 'en')}")
        self.rule, self.message = rule, message
