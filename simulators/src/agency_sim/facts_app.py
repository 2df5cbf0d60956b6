"""The enrollment sources' apps (户籍, 居住证, 不动产登记, 社保): docs/agency-protocol.md
"Enrollment facts". Same authentication, basis checks, faults and signatures as the aid agencies;
the answer is whether one condition holds on a day — never the record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from agency_sim.app import (
    AgencyState,
    SignedBody,
    authenticated,
    common_app,
    error,
    faulted,
    signed,
    subject_of,
)
from agency_sim.facts_registry import FACT_AGENCIES, Person
from junheng_kit.agency.facts import FACT_AGENCY, Question, holds, same_address
from junheng_kit.signing import canonical_json, sha256_hex
from junheng_kit.timeutil import utcnow, whole_months

MAX_BATCH = 10_000


class QuestionShape(BaseModel):
    fact: str = Field(min_length=1, max_length=40)
    op: str = Field(pattern="^(is|gte|lte)$")
    value: bool | int
    county_code: str = Field(min_length=6, max_length=6)
    on: date
    address: str | None = Field(None, max_length=200)


class FactBody(SignedBody):
    citizen_id: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=50)
    question: QuestionShape


class BatchItem(BaseModel):
    ref: str = Field(min_length=1, max_length=64)
    citizen_id: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=50)
    question: QuestionShape


class BatchBody(SignedBody):
    items: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH)


@dataclass
class FactsState(AgencyState):
    """One enrollment source: the people it holds records of, by citizen ID."""

    people_by_id: dict[str, Person] = field(default_factory=dict)

    def people(self) -> int:
        return len(self.people_by_id)


def measure(agency: str, person: Person, question: Question) -> bool | int | None:
    """The fact as this agency's record gives it on the question's day (None: no record)."""
    fact, on, county = question.fact, question.on, question.county_code
    if agency == "hukou":
        local = person.hukou_county == county
        return local if fact == "hukou_local" else not local
    if agency == "permit":
        issued, until = person.permit_issued_on, person.permit_valid_until
        if issued is None:
            return None
        valid = issued <= on and (until is None or on <= until) and person.county_code == county
        at = question.address is None or same_address(person.permit_address, question.address)
        if fact == "has_residence_permit":
            return valid and at
        return whole_months(issued, on) if valid and at else 0
    if agency == "estate":
        if fact == "owns_home":
            if person.owned_address is None:
                return None
            registered = person.owned_registered_on is None or person.owned_registered_on <= on
            return registered and same_address(person.owned_address, question.address)
        if person.lease_address is None or person.lease_from is None:
            return None
        current = person.lease_from <= on and (
            person.lease_until is None or on <= person.lease_until
        )
        return current and same_address(person.lease_address, question.address)
    if person.social_since is None or person.county_code != county:
        return None
    return whole_months(person.social_since, on)


def answer(state: FactsState, citizen_id: str, name: str, question: Question) -> dict[str, Any]:
    """The minimal answer: does the condition hold (null: no record), and whether the name fits."""
    person = state.people_by_id.get(citizen_id.upper())
    measured = None if person is None else measure(state.agency, person, question)
    verdict = None if measured is None else holds(question.op, measured, question.value)
    return {
        "holds": verdict,
        "record_found": person is not None and measured is not None,
        "name_matches": person is not None and person.name == name.strip(),
    }


def create_facts_app(state: FactsState) -> FastAPI:
    app = common_app(state, FACT_AGENCIES.get(state.agency, state.agency))
    answers = {fact for fact, agency in FACT_AGENCY.items() if agency == state.agency}

    def unknown_fact(facts: set[str]) -> JSONResponse | None:
        wrong = sorted(facts - answers)
        if wrong:
            return error(400, "fact_not_held", f"{state.agency} answers {sorted(answers)}")
        return None

    @app.post("/v1/fact-assertions")
    async def fact_assertion(request: Request) -> JSONResponse:
        body = await authenticated(request, state, FactBody)
        if isinstance(body, JSONResponse):
            return body
        question = Question.of(body["question"])
        refused = unknown_fact({question.fact}) or await faulted(state)
        if refused is not None:
            return refused
        found = answer(state, str(body["citizen_id"]), str(body["name"]), question)
        assertion = {
            "assertion_id": f"{state.agency}-{uuid.uuid4().hex[:24]}",
            "agency": state.agency,
            "request_id": body["request_id"],
            "subject_sha256": subject_of(state, str(body["citizen_id"])),
            "matched": found["holds"] is True,
            "name_matches": found["name_matches"],
            "proved": [{**question.as_json(), "holds": found["holds"]}],
            "issued_at": utcnow().isoformat(timespec="seconds"),
        }
        return JSONResponse(signed(state, "assertion", assertion))

    @app.post("/v1/fact-assertions/batch")
    async def fact_batch(request: Request) -> JSONResponse:
        body = await authenticated(request, state, BatchBody)
        if isinstance(body, JSONResponse):
            return body
        items = body["items"]
        refused = unknown_fact({item["question"]["fact"] for item in items}) or await faulted(state)
        if refused is not None:
            return refused
        entries = []
        for item in items:
            found = answer(
                state, str(item["citizen_id"]), str(item["name"]), Question.of(item["question"])
            )
            entries.append(
                [
                    item["ref"],
                    subject_of(state, str(item["citizen_id"])),
                    found["holds"],
                    found["name_matches"],
                    f"{state.agency}-{uuid.uuid4().hex[:24]}",
                ]
            )
        header = {
            "batch_id": f"{state.agency}-batch-{uuid.uuid4().hex[:20]}",
            "agency": state.agency,
            "request_id": body["request_id"],
            "count": len(entries),
            "entries_sha256": sha256_hex(canonical_json(entries)),
            "issued_at": utcnow().isoformat(timespec="seconds"),
        }
        document = signed(state, "header", header)
        return JSONResponse(
            {
                "header": header,
                "entries": entries,
                "key_id": document["key_id"],
                "signature": document["signature"],
            }
        )

    return app
