"""Optimistic concurrency over HTTP: a row's `version` is its ETag, `If-Match` names the version.

Endpoints answer `ETag: "<version>"` and pass `version_from_if_match(header)` to the use case,
which compares it with the row through `require_version` (412 on a mismatch). `*` or no header
means "any version".

An answer that shows personal data unmasked to a caller with a PII scope and masked to others is
two representations of one version: they get two ETags, `"7"` (masked) and `"7-pii"`
(unmasked), so a client or cache holding the masked body is never told by a 304 that it holds
the unmasked one (RFC 9110 §8.8.3: an entity tag names one representation). `If-Match` accepts
either: both name version 7.
"""

from __future__ import annotations

from junheng_kit.i18n import Message, localized, t
from junheng_kit.problems import FieldError, InvalidInput, PreconditionFailed

UNMASKED = "-pii"


def etag(version: int, *, unmasked: bool = False) -> str:
    """The strong ETag of a row version: `"7"`; of its unmasked representation `"7-pii"`."""
    return f'"{version}{UNMASKED}"' if unmasked else f'"{version}"'


def version_from_if_match(if_match: str | None) -> int | None:
    """The version an If-Match header names; None for no header or `*`; 422 for anything else."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"').removesuffix(UNMASKED)
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
