"""Pure rules of client registration and token requests (no I/O)."""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from junheng_kit.i18n import t
from junheng_kit.problems import BadRequest, FieldError, InvalidInput

ACTIONS = ("read", "write")
# scopes beyond read/write: `assistance:pii` reads citizen IDs, names and aid categories in full;
# `enrollment:pii` reads applicants' citizen IDs, names, guardians' phones and addresses in full;
# `staffing:pii` reads teachers' citizen IDs in full (a single teacher's view, exports)
EXTRA_SCOPES = {"assistance": ("pii",), "enrollment": ("pii",), "staffing": ("pii",)}
# scopes of no one service: `audit:read` reads every service's audit trail (and the gateway's)
# within the client's jurisdiction (junheng_kit.audit)
AUDIT_READ = "audit:read"
CROSS_SERVICE_SCOPES = (AUDIT_READ,)
# GB/T 2260: province (2 digits), prefecture (4) or county (6); a code covers all it prefixes
DIVISION_PREFIX = re.compile(r"^\d{2}(\d{2}){0,2}$")
# `rotate-secret --grace-seconds`: long enough to roll every replica of an integrator, short
# enough that a leaked secret does not outlive its rotation by more than a week
MAX_GRACE_SECONDS = 7 * 24 * 3600


class UnsupportedGrantType(BadRequest):
    slug, title = "unsupported-grant-type", t("不支持的授权类型", "Unsupported grant type")


class InvalidScope(BadRequest):
    slug, title = "invalid-scope", t("未授予该权限范围", "Scope not granted")


def known_scopes(services: Iterable[str]) -> list[str]:
    return [
        f"{service}:{action}"
        for service in services
        for action in (*ACTIONS, *EXTRA_SCOPES.get(service, ()))
    ] + list(CROSS_SERVICE_SCOPES)


def checked_purpose(purpose: str | None) -> str | None:
    """A client's declared purpose: ≤ 200 printable characters."""
    if purpose is None:
        return None
    if not purpose.strip() or len(purpose) > 200 or not purpose.isprintable():
        raise InvalidInput(
            t("用途须为 1–200 个可打印字符", "purpose must be 1–200 printable characters"),
            FieldError("purpose", "purpose_format"),
        )
    return purpose.strip()


def validate_scopes(scopes: Sequence[str], services: Iterable[str]) -> list[str]:
    known = set(known_scopes(services))
    unknown = [s for s in scopes if s not in known]
    if unknown or not scopes:
        raise InvalidInput(
            t("权限范围未知或缺失", "unknown or missing scopes"),
            FieldError("scopes", "scope_known", " ".join(unknown) or "none given"),
        )
    return sorted(set(scopes))


def validate_jurisdiction(codes: Sequence[str]) -> list[str]:
    wrong = [c for c in codes if not DIVISION_PREFIX.match(c)]
    if wrong or not codes:
        raise InvalidInput(
            t(
                "管辖区域必须列出 GB/T 2260 代码前缀（2、4 或 6 位）",
                "jurisdiction must list GB/T 2260 code prefixes (2, 4 or 6 digits)",
            ),
            FieldError("jurisdiction", "division_code_format", " ".join(wrong) or "none given"),
        )
    return sorted(set(codes))


def granted_scopes(requested: str | None, allowed: Sequence[str]) -> list[str]:
    """RFC 6749 §3.3: no `scope` means everything the client holds; a subset narrows it."""
    if not requested or not requested.strip():
        return list(allowed)
    wanted = requested.split()
    extra = [s for s in wanted if s not in allowed]
    if extra:
        raise InvalidScope(
            t("此客户端未被授予该权限范围", "scope not granted to this client"),
            FieldError("scope", "invalid_scope", " ".join(extra)),
        )
    return sorted(set(wanted))


def require_client_credentials(grant_type: str | None) -> None:
    if grant_type != "client_credentials":
        raise UnsupportedGrantType(
            t(
                "仅支持 grant_type=client_credentials",
                "only grant_type=client_credentials is supported",
            ),
            FieldError("grant_type", "unsupported_grant_type", str(grant_type or "")),
        )


def checked_grace_seconds(seconds: int) -> int:
    """How long a rotated client's previous secret still works: 0 (at once) to one week."""
    if not 0 <= seconds <= MAX_GRACE_SECONDS:
        raise InvalidInput(
            t(
                f"宽限期须为 0–{MAX_GRACE_SECONDS} 秒",
                f"the grace period must be 0–{MAX_GRACE_SECONDS} seconds",
            ),
            FieldError("grace_seconds", "grace_seconds_range", str(seconds)),
        )
    return seconds


def previous_secret_accepted(until: datetime | None, now: datetime) -> bool:
    """A rotated client's previous secret works while its grace period lasts (end excluded)."""
    return until is not None and now < until
