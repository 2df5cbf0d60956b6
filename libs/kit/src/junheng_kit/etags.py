"""Optimistic concurrency over HTTP: a row's `version` is its ETag, `If-Match` names the version.

Endpoints answer `ETag: "<version>"` and pass `version_from_if_match(header)` to the use case,
which compares it with the row through `require_version` (412 on a mismatch). `*` or no header
means "any version".
"""

from __future__ import annotations

from junheng_kit.i18n import Message, localized, t
from junheng_kit.problems import FieldError, InvalidInput, PreconditionFailed


def etag(version: int) -> str:
    """The strong ETag of a row version: `"7"`."""
    return f'"{version}"'


def version_from_if_match(if_match: str | None) -> int | None:
    """The version an If-Match header names; None for no header or `*`; 422 for anything else."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput(
            t("If-Match 必须是本接口签发的 ETag", "If-Match must be an ETag this API issued"),
            FieldError("header.if-match", "etag_format"),
        )
    return int(value)


def require_version(what: Message, current: int, if_match: int | None) -> None:
    """412 `version_current` when If-Match named another version than the row's `current`;
    `what` names the record in the detail (`"school 2115060001"`)."""
    if if_match is not None and if_match != current:
        raise PreconditionFailed(
            t(
                f"{localized(what, 'zh')} 当前版本为 {current}，不是 {if_match}",
                f"{localized(what, 'en')} is at version {current}, not {if_match}",
            ),
            FieldError(
                "header.if-match",
                "version_current",
                t(
                    f'版本已变：当前 ETag 为 "{current}"，请重新读取后重试',
                    f'the version changed: the current ETag is "{current}"; reload it and retry',
                ),
            ),
        )
