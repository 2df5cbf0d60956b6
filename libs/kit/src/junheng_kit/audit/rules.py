"""The audit trail's rules (pure): what an entry holds, how its caller's declarations are checked,
what its outcome is called, and how long it is kept.

An entry is hashed like the lookup ledger's (junheng_kit.agency.ledger_rules, `entry_hash` over
`HASHED_FIELDS` with the entry's own `algorithm`), so `first_break` checks both chains.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal
from urllib.parse import unquote

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, InvalidInput

HASHED_FIELDS = (
    "seq",
    "recorded_at",
    "client_id",
    "on_behalf_of",
    "purpose",
    "action",
    "kind",
    "record_ids",
    "record_count",
    "query_digest",
    "student_keys",
    "classes",
    "county_code",
    "outcome",
    "status",
    "request_id",
    "algorithm",
)

Action = Literal["read", "search", "export", "import", "create", "update", "delete", "admin"]
ACTIONS: tuple[str, ...] = (
    "read",
    "search",
    "export",
    "import",
    "create",
    "update",
    "delete",
    "admin",
)

ON_BEHALF_OF_HEADER = "x-on-behalf-of"
PURPOSE_HEADER = "x-purpose"
ON_BEHALF_OF_MAX = 128
PURPOSE_MAX = 200
UNSPECIFIED = "unspecified"  # a personal-data access whose caller declared no purpose
MAX_IDS = 50  # record ids (and student keys) kept in an entry; beyond: the count and a digest
MAX_CLASSES = 8

# 网络安全法 第二十一条 (三): 留存相关的网络日志不少于六个月 — 183 days cover any six months
MIN_RETENTION_DAYS = 183


def header_text(value: str) -> str:
    """A header's text: HTTP headers are ISO-8859-1, so Chinese is sent percent-encoded UTF-8
    (`X-Purpose: %E5%AE%A1%E6%A0%B8` for 审核)."""
    return unquote(value) if "%" in value else value


PERSONAL, SENSITIVE, MASKED = "personal", "sensitive", "personal:masked"


def classes_shown(pii: bool) -> list[str]:
    """The field classes an answer carries: personal and sensitive values in full (a caller
    with the service's PII scope), else only masked ones."""
    return [PERSONAL, SENSITIVE] if pii else [MASKED]


def printable(value: str) -> bool:
    return value.isprintable() and value == value.strip() and bool(value)


def checked_on_behalf_of(value: str | None) -> str | None:
    """`X-On-Behalf-Of`: the end user an app backend acts for — ≤ 128 printable characters."""
    if value is None:
        return None
    value = header_text(value)
    if len(value) > ON_BEHALF_OF_MAX or not printable(value):
        raise InvalidInput(
            t("X-On-Behalf-Of 无效", "X-On-Behalf-Of is invalid"),
            FieldError(
                "x-on-behalf-of",
                "on_behalf_of_format",
                t(
                    f"须为 1–{ON_BEHALF_OF_MAX} 个可打印字符",
                    f"must be 1–{ON_BEHALF_OF_MAX} printable characters",
                ),
            ),
        )
    return value


def checked_purpose(value: str | None) -> str | None:
    """`X-Purpose`: why the caller reads personal data — ≤ 200 printable characters."""
    if value is None:
        return None
    value = header_text(value)
    if len(value) > PURPOSE_MAX or not printable(value):
        raise InvalidInput(
            t("X-Purpose 无效", "X-Purpose is invalid"),
            FieldError(
                "x-purpose",
                "purpose_format",
                t(
                    f"须为 1–{PURPOSE_MAX} 个可打印字符",
                    f"must be 1–{PURPOSE_MAX} printable characters",
                ),
            ),
        )
    return value


def purpose_of(declared: str | None, client_default: object) -> str:
    """The call's declared purpose, else the client's (its token's `purpose` claim), else
    `unspecified` — recorded, not refused: existing clients declare none yet."""
    if declared:
        return declared
    if isinstance(client_default, str) and client_default.strip():
        return client_default.strip()[:PURPOSE_MAX]
    return UNSPECIFIED


def outcome_of(status: int) -> str:
    """The entry's outcome from the answer's status."""
    if status < 400:
        return "ok"
    if status in (401, 403):
        return "denied"
    if status == 404:
        return "not_found"
    if status < 500:
        return "refused"
    return "failed"


def query_digest(method: str, path: str, query: str) -> str:
    """What a bulk read asked for, as a digest (the records themselves are too many to list)."""
    return hashlib.sha256(f"{method} {path}?{query}".encode()).hexdigest()


def bounded(values: Sequence[str]) -> tuple[list[str] | None, int]:
    """The values when there are at most `MAX_IDS`, else None; and their count."""
    unique = list(dict.fromkeys(values))
    return (unique if len(unique) <= MAX_IDS else None), len(unique)


def retention_problem(days: int) -> str | None:
    if days < MIN_RETENTION_DAYS:
        return (
            f"JUNHENG_AUDIT_RETENTION_DAYS={days} is below {MIN_RETENTION_DAYS}: network logs "
            "are kept at least six months (网络安全法 第二十一条)"
        )
    return None


def audit_switch_problem(environment: str, audit: str) -> str | None:
    if audit == "off" and environment != "dev":
        return (
            "JUNHENG_AUDIT=off is for a benchmark's baseline only: refused outside JUNHENG_ENV=dev"
        )
    return None
