"""Pure rules of the agency exchange: lawful-basis checks, the circuit breaker, answer checks.

No I/O here: the connector passes the clock in, the service passes the configuration in.
Shared by every service that asks partner agencies (docs/agency-protocol.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated
from junheng_kit.signing import PublicKey, canonical_json, sha256_hex, verify_object


def require_lawful_basis(
    purpose: str | None, legal_basis: str | None, consent_ref: str | None
) -> None:
    """目的与依据: a query to another agency states its purpose and a legal basis or consent.

    Personal-information rules (minimisation, purpose limitation) and the data-sharing platform's
    terms: a query without them is refused, never logged-and-allowed.
    """
    errors = []
    if not (purpose or "").strip():
        errors.append(
            FieldError("purpose", "purpose_required", t("查询目的必填", "purpose is required"))
        )
    if not (legal_basis or "").strip() and not (consent_ref or "").strip():
        errors.append(
            FieldError(
                "legal_basis",
                "legal_basis_or_consent_required",
                t(
                    "须写明法律依据 (legal_basis) 或监护人同意编号 (consent_ref)",
                    "give the legal basis (legal_basis) or the guardian's consent reference "
                    "(consent_ref)",
                ),
            )
        )
    if errors:
        raise RuleViolated(
            t(
                "查询他部门数据须说明目的和依据",
                "a lookup of another department's data states its purpose and legal basis",
            ),
            *errors,
        )


def subject_sha256(citizen_id: str) -> str:
    """The subject of an assertion: sha256 hex of the citizen ID (the ID is never stored)."""
    return hashlib.sha256(citizen_id.encode()).hexdigest()


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """熔断: after `failure_threshold` consecutive failed calls the agency is not called for
    `reset_seconds`; then one trial call (half-open) closes it again or re-opens it."""

    failure_threshold: int
    reset_seconds: float
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    opened_at: float = 0.0
    trial_in_flight: bool = False

    def allow(self, now: float) -> bool:
        if self.state is BreakerState.OPEN and now - self.opened_at >= self.reset_seconds:
            self.state = BreakerState.HALF_OPEN
            self.trial_in_flight = False
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.HALF_OPEN and not self.trial_in_flight:
            self.trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self.state = BreakerState.CLOSED
        self.consecutive_failures = 0
        self.trial_in_flight = False

    def record_failure(self, now: float) -> None:
        self.consecutive_failures += 1
        self.trial_in_flight = False
        if (
            self.state is BreakerState.HALF_OPEN
            or self.consecutive_failures >= self.failure_threshold
        ):
            self.state = BreakerState.OPEN
            self.opened_at = now


def backoff_seconds(attempt: int, base: float, draw: float) -> float:
    """Exponential backoff with full jitter: uniform in [0, base·2^attempt) for `draw` in [0,1)."""
    return float(base * 2.0**attempt * draw)


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an ascending sequence (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * fraction // 1))  # ceil(n·p), at least 1
    return float(sorted_values[int(rank) - 1])


class AnswerProblem(StrEnum):
    SIGNATURE = "agency_signature_valid"
    BINDING = "agency_answer_binding"


def check_assertion(
    body: Any,
    *,
    agency: str,
    public_key: PublicKey,
    key_id: str,
    request_id: str,
    subject: str,
    lists: Sequence[str] = ("categories",),
) -> tuple[AnswerProblem, str] | None:
    """None when the answer is the agency's signed answer to this very request, else why not.

    The signature covers the canonical JSON of `assertion`; it must verify with the key pinned in
    configuration, and the assertion must name this agency, this request and this subject, and
    carry an id and the `lists` its kind of answer holds (aid agencies: `categories`)."""
    if not isinstance(body, dict) or not isinstance(body.get("assertion"), dict):
        return AnswerProblem.SIGNATURE, "answer has no assertion object"
    assertion = body["assertion"]
    if body.get("key_id") != key_id:
        return AnswerProblem.SIGNATURE, f"signed by key {body.get('key_id')!r}, pinned {key_id}"
    if not verify_object(public_key, assertion, str(body.get("signature", ""))):
        return AnswerProblem.SIGNATURE, "signature does not verify with the pinned key"
    if (
        assertion.get("agency") != agency
        or assertion.get("request_id") != request_id
        or assertion.get("subject_sha256") != subject
    ):
        return AnswerProblem.BINDING, "assertion names another agency, request or subject"
    if any(not isinstance(assertion.get(name), list) for name in lists) or not isinstance(
        assertion.get("assertion_id"), str
    ):
        return AnswerProblem.BINDING, f"assertion lacks {' or '.join(lists) or 'an id'} or an id"
    return None


def check_signed_list(
    body: Any,
    *,
    agency: str,
    public_key: PublicKey,
    key_id: str,
    bound: Mapping[str, Any],
) -> tuple[AnswerProblem, str] | None:
    """None when a list's header is signed by the pinned key, the entries match its hash and
    count, and the header names this agency and every `bound` value (region, request …)."""
    if not isinstance(body, dict) or not isinstance(body.get("header"), dict):
        return AnswerProblem.SIGNATURE, "answer has no header object"
    header, entries = body["header"], body.get("entries")
    if body.get("key_id") != key_id:
        return AnswerProblem.SIGNATURE, f"signed by key {body.get('key_id')!r}, pinned {key_id}"
    if not verify_object(public_key, header, str(body.get("signature", ""))):
        return AnswerProblem.SIGNATURE, "signature does not verify with the pinned key"
    if not isinstance(entries, list) or sha256_hex(canonical_json(entries)) != header.get(
        "entries_sha256"
    ):
        return AnswerProblem.SIGNATURE, "entries do not match the signed entries_sha256"
    if header.get("count") != len(entries):
        return AnswerProblem.BINDING, "entry count differs from the signed count"
    if header.get("agency") != agency or any(header.get(k) != v for k, v in bound.items()):
        return AnswerProblem.BINDING, f"list names another agency or {', '.join(bound)}"
    return None


def check_category_list(
    body: Any,
    *,
    agency: str,
    public_key: PublicKey,
    key_id: str,
    region_code: str,
) -> tuple[AnswerProblem, str] | None:
    """None when the list's header is signed by the pinned key and the entries match its hash."""
    return check_signed_list(
        body,
        agency=agency,
        public_key=public_key,
        key_id=key_id,
        bound={"region_code": region_code},
    )
