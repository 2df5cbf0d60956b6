"""One FastAPI app per partner agency: the protocol of docs/agency-protocol.md.

The app verifies the bureau's signature (Ed25519; SM2 under 国密) over the exact request bytes
(the bureau's public key is configured, "trusted"), refuses requests without purpose and a
legal basis or consent, answers minimally (categories with validity, never the record) and
signs the answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from agency_sim.registry import Registry
from junheng_kit.crypto_profile import profile
from junheng_kit.signing import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    PublicKey,
    Signer,
    canonical_json,
    key_id,
    load_public_key,
    sha256_hex,
    verify,
)
from junheng_kit.timeutil import china_today, real_utcnow, utcnow

log = logging.getLogger("agency_sim")
MAX_REQUEST_AGE = timedelta(minutes=5)
NAMES = {"mca": "民政", "cdpf": "残联", "nrra": "乡村振兴", "moa": "农牧"}


class Faults(BaseModel):
    """Fault injection (tests and the demo): how the next requests are answered."""

    # wrong_subject: the answers name another person (sha256 of another citizen ID)
    mode: Literal["ok", "down", "slow", "bad_signature", "flaky", "wrong_subject"] = "ok"
    delay_ms: int = Field(0, ge=0, le=60_000)
    fail_every: int = Field(2, ge=1)  # flaky: every n-th request answers 503


@dataclass
class AgencyState:
    agency: str
    signer: Signer
    trust_key_file: Path
    registry: Registry
    # the kit's clock: JUNHENG_CLOCK_AT (dev/test) moves it as it moves the bureau's
    today: Callable[[], date] = field(default=china_today)
    faults: Faults = field(default_factory=Faults)
    requests: int = 0
    wrong_signer: Signer = field(default_factory=Signer.generate)
    _trusted: PublicKey | None = None

    def people(self) -> int:
        return len(self.registry.by_citizen)

    def trusted(self) -> PublicKey | None:
        """The bureau's public key, read when first needed (the bureau may start later)."""
        if self._trusted is None and self.trust_key_file.exists():
            self._trusted = load_public_key(self.trust_key_file)
        return self._trusted


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def _check_basis(body: dict[str, Any]) -> JSONResponse | None:
    if not str(body.get("purpose") or "").strip():
        return error(400, "purpose_required", "a request states its purpose")
    if (
        not str(body.get("legal_basis") or "").strip()
        and not str(body.get("consent_ref") or "").strip()
    ):
        return error(400, "legal_basis_or_consent_required", "legal basis or consent reference")
    return None


async def authenticated(
    request: Request, state: AgencyState, shape: type[BaseModel] | None = None
) -> dict[str, Any] | JSONResponse:
    """The request's body when signed by the trusted bureau key, fresh, with purpose and basis;
    else the error answer. `shape`: the body's model (default: the aid agencies' lookups)."""
    raw = await request.body()
    trusted = state.trusted()
    if trusted is None:
        return error(401, "requester_unknown", "no trusted requester key configured")
    if request.headers.get(KEY_ID_HEADER) != key_id(trusted) or not verify(
        trusted, raw, request.headers.get(SIGNATURE_HEADER, "")
    ):
        return error(401, "signature_invalid", "request not signed by the trusted key")
    try:
        body = (shape or BodyShape).model_validate_json(raw).model_dump()
    except ValidationError as exc:
        return error(400, "body_invalid", str(exc.errors()[0].get("msg")))
    requested_at = body["requested_at"]
    if requested_at.tzinfo is None:
        return error(400, "requested_at_timezone", "requested_at carries its UTC offset")
    if abs(real_utcnow() - requested_at) > MAX_REQUEST_AGE:  # the machine's time, as sent
        return error(401, "request_stale", "requested_at is more than 5 minutes off")
    return _check_basis(body) or body


class SignedBody(BaseModel):
    """What every request carries: its id, who asks, when, and why (purpose and basis)."""

    request_id: str = Field(min_length=1, max_length=64)
    requester: str = Field(min_length=1, max_length=100)
    requested_at: datetime
    purpose: str | None = None
    legal_basis: str | None = None
    consent_ref: str | None = None


class BodyShape(SignedBody):
    citizen_id: str | None = Field(None, max_length=18)
    name: str | None = Field(None, max_length=50)
    region_code: str | None = Field(None, max_length=6)


def subject_of(state: AgencyState, citizen_id: str) -> str:
    """The answer's subject: sha256 of the citizen ID asked about (under `wrong_subject`, of
    another person's)."""
    if state.faults.mode == "wrong_subject":
        citizen_id = citizen_id[::-1]
    return hashlib.sha256(citizen_id.encode()).hexdigest()


async def faulted(state: AgencyState) -> JSONResponse | None:
    state.requests += 1
    faults = state.faults
    if faults.mode == "down":
        return error(503, "unavailable", "simulated outage")
    if faults.mode == "flaky" and state.requests % faults.fail_every == 0:
        return error(503, "unavailable", "simulated intermittent failure")
    if faults.mode == "slow":
        await asyncio.sleep(faults.delay_ms / 1000)
    return None


def signed(state: AgencyState, key: str, document: dict[str, Any]) -> dict[str, Any]:
    signer = state.wrong_signer if state.faults.mode == "bad_signature" else state.signer
    return {key: document, "key_id": state.signer.key_id, "signature": signer.sign_object(document)}


def common_app(state: AgencyState, name: str) -> FastAPI:
    """An agency's app with what every simulator answers: health, its key, fault injection."""
    app = FastAPI(
        title=f"Agency simulator: {name} ({state.agency})",
        description="Stand-in for a partner agency's system; protocol in docs/agency-protocol.md",
    )
    app.state.agency = state

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "agency": state.agency,
            "people": state.people(),
            "requests": state.requests,
        }

    @app.get("/.well-known/agency-key")
    async def agency_key() -> dict[str, str]:
        return {
            "agency": state.agency,
            "key_id": state.signer.key_id,
            "public_key": state.signer.public_key_text,
            "algorithm": "SM2" if profile().guomi else "Ed25519",
        }

    @app.put("/_sim/faults")
    async def set_faults(faults: Faults) -> Faults:
        state.faults, state.requests = faults, 0
        log.info("faults set: %s", faults.model_dump())
        return faults

    return app


def create_app(state: AgencyState) -> FastAPI:
    """An aid agency (民政, 残联, 乡村振兴, 农牧): one-person lookups and category lists."""
    app = common_app(state, NAMES.get(state.agency, state.agency))

    @app.post("/v1/assertions")
    async def assertions(request: Request) -> JSONResponse:
        body = await authenticated(request, state)
        if isinstance(body, JSONResponse):
            return body
        if not body.get("citizen_id") or not body.get("name"):
            return error(400, "subject_required", "citizen_id and name")
        fault = await faulted(state)
        if fault is not None:
            return fault
        today = state.today()
        holdings = state.registry.by_citizen.get(str(body["citizen_id"]).upper(), [])
        current = [h for h in holdings if h.valid_on(today)]
        assertion = {
            "assertion_id": f"{state.agency}-{uuid.uuid4().hex[:24]}",
            "agency": state.agency,
            "request_id": body["request_id"],
            "subject_sha256": subject_of(state, str(body["citizen_id"])),
            "matched": bool(current),
            "name_matches": any(h.name == str(body["name"]).strip() for h in holdings),
            "categories": [
                {
                    "category": h.category,
                    "grade": h.grade,
                    "valid_from": h.valid_from.isoformat(),
                    "valid_until": h.valid_until.isoformat() if h.valid_until else None,
                }
                for h in current
            ],
            "issued_at": utcnow().isoformat(timespec="seconds"),
        }
        return JSONResponse(signed(state, "assertion", assertion))

    @app.post("/v1/category-lists")
    async def category_lists(request: Request) -> JSONResponse:
        body = await authenticated(request, state)
        if isinstance(body, JSONResponse):
            return body
        if not body.get("region_code"):
            return error(400, "region_required", "region_code")
        fault = await faulted(state)
        if fault is not None:
            return fault
        today = state.today()
        entries = [
            [
                h.citizen_id,
                h.name,
                h.category,
                h.grade,
                h.valid_from.isoformat(),
                h.valid_until.isoformat() if h.valid_until else None,
                f"{state.agency}-{h.assertion_id}",
            ]
            for h in state.registry.by_region.get(str(body["region_code"]), [])
            if h.valid_on(today)
        ]
        header = {
            "list_id": f"{state.agency}-list-{uuid.uuid4().hex[:20]}",
            "agency": state.agency,
            "region_code": body["region_code"],
            "as_of": today.isoformat(),
            "count": len(entries),
            "entries_sha256": sha256_hex(canonical_json(entries)),
        }
        document = signed(state, "header", header)
        return JSONResponse(
            {
                "header": header,
                "entries": entries,
                **{k: v for k, v in document.items() if k != "header"},
            }
        )

    return app
