"""Asking the agencies: one question per needed condition, either one person at a time
(`POST /v1/fact-assertions`, an on-demand check) or in signed batches per agency
(`POST /v1/fact-assertions/batch`, the automatic check and the county's re-check).

Each answer is checked before it counts: signed by the agency's pinned key, for this request and
this person (`junheng_kit.agency.protocol`); a refused answer leaves its fact unavailable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from enrollment.facts.connector import FactConnector
from enrollment.facts.rules import Needed
from junheng_kit.agency.connector import AgencyReply
from junheng_kit.agency.facts import Question
from junheng_kit.agency.protocol import subject_sha256
from junheng_kit.ids import uuid7, uuid7_many

SINGLE_PATH = "/v1/fact-assertions"
BATCH_PATH = "/v1/fact-assertions/batch"


@dataclass(frozen=True, slots=True)
class Basis:
    """目的与依据 a lookup states (docs/agency-protocol.md)."""

    purpose: str
    legal_basis: str | None
    consent_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Asked:
    """One question about one child, with the request id it travels (or is itemised) under."""

    application_id: Any
    citizen_id: str
    name: str
    needed: Needed
    question: Question
    basis: Basis
    request_id: str


@dataclass(frozen=True, slots=True)
class Answered:
    asked: Asked
    outcome: str  # ledger: matched | not_matched | no_record | unavailable | refused
    holds: bool | None = None
    answer_id: str | None = None
    detail: str = ""

    @property
    def answered(self) -> bool:
        return self.outcome in ("matched", "not_matched", "no_record")


def _request_ids() -> Iterator[str]:
    """Fresh UUIDv7 request ids, made a thousand at a time (a re-check asks 200,000 questions)."""
    while True:
        yield from map(str, uuid7_many(1000))


_REQUEST_IDS = _request_ids()


def ask(
    application_id: Any,
    citizen_id: str,
    name: str,
    needed: Needed,
    question: Question,
    basis: Basis,
) -> Asked:
    request_id = next(_REQUEST_IDS)
    return Asked(application_id, citizen_id, name, needed, question, basis, request_id)


def _from_verdict(asked: Asked, holds: Any, answer_id: str) -> Answered:
    verdict = holds if isinstance(holds, bool) else None
    outcome = "no_record" if verdict is None else ("matched" if verdict else "not_matched")
    return Answered(asked, outcome, verdict, answer_id)


def _failed(asked: Asked, reply: AgencyReply) -> Answered:
    return Answered(
        asked, "refused" if reply.status == "refused" else "unavailable", detail=reply.detail
    )


def _body(asked: Asked) -> dict[str, Any]:
    return {
        "citizen_id": asked.citizen_id,
        "name": asked.name,
        "question": asked.question.as_json(),
    }


def _not_configured(code: str) -> str:
    """Stored with the fact and read by clerks and families: both languages, as the ledger's
    details are."""
    return f"本部署未配置部门 {code} / {code} is not configured here"


async def ask_one_by_one(connector: FactConnector, asked: Sequence[Asked]) -> list[Answered]:
    """Every question as its own signed request, concurrently (an on-demand check)."""

    async def one(item: Asked) -> Answered:
        code = item.needed.agency
        if connector.configured(code) is None:
            return Answered(item, "unavailable", detail=_not_configured(code))
        payload = connector.new_request(
            request_id=item.request_id,
            purpose=item.basis.purpose,
            legal_basis=item.basis.legal_basis,
            consent_ref=item.basis.consent_ref,
            **_body(item),
        )
        reply = await connector.request_assertion(
            code, payload, citizen_id=item.citizen_id, path=SINGLE_PATH, lists=("proved",)
        )
        if reply.status != "verified" or reply.body is None:
            return _failed(item, reply)
        assertion = reply.body["assertion"]
        proved = assertion["proved"]
        holds = proved[0].get("holds") if proved and isinstance(proved[0], dict) else None
        return _from_verdict(item, holds, str(assertion["assertion_id"]))

    return list(await asyncio.gather(*[one(item) for item in asked]))


async def ask_in_batches(
    connector: FactConnector, asked: Sequence[Asked], *, batch_size: int
) -> list[Answered]:
    """Questions grouped per agency and basis, `batch_size` per signed request; the batches of
    the four agencies go out concurrently. An entry about another person, or not itemised as
    asked, is refused on its own; a batch with a bad signature is refused whole."""
    groups: dict[tuple[str, Basis], list[Asked]] = {}
    for item in asked:
        groups.setdefault((item.needed.agency, item.basis), []).append(item)

    async def batch(code: str, basis: Basis, items: Sequence[Asked]) -> list[Answered]:
        if connector.configured(code) is None:
            return [Answered(i, "unavailable", detail=_not_configured(code)) for i in items]
        request_id = str(uuid7())
        payload = connector.new_request(
            request_id=request_id,
            purpose=basis.purpose,
            legal_basis=basis.legal_basis,
            consent_ref=basis.consent_ref,
            items=[{"ref": i.request_id, **_body(i)} for i in items],
        )
        reply = await connector.request_signed_list(
            code, BATCH_PATH, payload, bound={"request_id": request_id}
        )
        if reply.status != "verified" or reply.body is None:
            return [_failed(i, reply) for i in items]
        entries = {e[0]: e for e in reply.body["entries"] if isinstance(e, list) and len(e) == 5}
        out = []
        for item in items:
            entry = entries.get(item.request_id)
            if entry is None:
                out.append(
                    Answered(
                        item,
                        "refused",
                        detail="批量答复缺少此项 / the batch answer omits this lookup",
                    )
                )
            elif entry[1] != subject_sha256(item.citizen_id):
                out.append(
                    Answered(
                        item,
                        "refused",
                        detail="答复所指并非此人 / answer is about another person (subject)",
                    )
                )
            else:
                out.append(_from_verdict(item, entry[2], str(entry[4])))
        return out

    calls = []
    for (code, basis), items in groups.items():
        for start in range(0, len(items), batch_size):
            calls.append(batch(code, basis, items[start : start + batch_size]))
    results = await asyncio.gather(*calls)
    return [answer for part in results for answer in part]
