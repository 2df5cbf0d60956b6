"""The enrollment sources' side of the protocol (户籍, 居住证, 不动产登记, 社保), in process over
ASGI: the same authentication and basis checks, answers that say only whether a condition holds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from agency_sim.facts_app import FactsState, create_facts_app
from agency_sim.facts_registry import Person, generate_people
from agency_sim.registry import Registry, make_citizen_id
from junheng_kit.signing import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    Signer,
    canonical_json,
    ensure_private_key,
    public_key_from_text,
    sha256_hex,
    verify_object,
)

PERSON = make_citizen_id("150602", date(2019, 3, 15), 1)
HOME = "东胜区某路1号"
RECORD = Person(
    PERSON,
    "王小明",
    "150602",
    "152801",
    "锡林浩特市某村",
    "王建国",
    date(2015, 1, 1),
    permit_issued_on=date(2024, 9, 1),
    permit_valid_until=date(2027, 9, 1),
    permit_address=HOME,
    lease_address=HOME,
    lease_from=date(2024, 1, 1),
    lease_until=date(2026, 12, 31),
    social_since=date(2023, 1, 1),
)


@pytest.fixture
def bureau(tmp_path: Path) -> tuple[Signer, Path]:
    path = tmp_path / "bureau.pem"
    return ensure_private_key(path), path


def client_of(agency: str, bureau: tuple[Signer, Path]) -> httpx.AsyncClient:
    state = FactsState(
        agency, Signer.generate(), bureau[1], Registry([]), people_by_id={PERSON: RECORD}
    )
    transport = httpx.ASGITransport(app=create_facts_app(state))
    return httpx.AsyncClient(transport=transport, base_url="http://sim")


def question(fact: str, op: str = "is", value: bool | int = True) -> dict[str, Any]:
    return {
        "fact": fact,
        "op": op,
        "value": value,
        "county_code": "150602",
        "on": "2025-08-31",
        "address": HOME,
    }


def signed(signer: Signer, **body: Any) -> tuple[bytes, dict[str, str]]:
    base = {
        "request_id": "r1",
        "requester": "test",
        "requested_at": datetime.now(UTC).isoformat(),
        "purpose": "入学资格审核",
        "legal_basis": "《义务教育法》第十二条",
        "consent_ref": None,
    }
    raw = canonical_json({**base, **body})
    return raw, {KEY_ID_HEADER: signer.key_id, SIGNATURE_HEADER: signer.sign(raw)}


@pytest.mark.parametrize(
    ("agency", "asked", "verdict"),
    [
        ("hukou", question("migrant"), True),
        ("hukou", question("hukou_local"), False),
        # 居住证 since 2024-09-01: 11 whole months on 2025-08-31
        ("permit", question("residence_permit_months", "gte", 12), False),
        ("permit", question("residence_permit_months", "gte", 11), True),
        ("estate", question("rents_home"), True),
        ("estate", question("owns_home"), None),  # no home registered to the family
        ("social", question("social_insurance_months", "gte", 12), True),
    ],
)
async def test_the_answer_says_only_whether_the_condition_holds_signed(
    bureau: tuple[Signer, Path], agency: str, asked: dict[str, Any], verdict: bool | None
) -> None:
    async with client_of(agency, bureau) as sim:
        raw, headers = signed(bureau[0], citizen_id=PERSON, name="王小明", question=asked)
        response = await sim.post("/v1/fact-assertions", content=raw, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        key = public_key_from_text((await sim.get("/.well-known/agency-key")).json()["public_key"])
    assert verify_object(key, body["assertion"], body["signature"]) is True
    assertion = body["assertion"]
    assert assertion["proved"] == [{**asked, "holds": verdict}]
    assert assertion["subject_sha256"] == sha256_hex(PERSON.encode())
    assert set(assertion) == {
        "assertion_id",
        "agency",
        "request_id",
        "subject_sha256",
        "matched",
        "name_matches",
        "proved",
        "issued_at",
    }  # fmt: skip — never the record: no address, no dates, no household head


async def test_an_agency_refuses_a_fact_it_does_not_hold(bureau: tuple[Signer, Path]) -> None:
    async with client_of("social", bureau) as sim:
        raw, headers = signed(
            bureau[0], citizen_id=PERSON, name="王小明", question=question("migrant")
        )
        response = await sim.post("/v1/fact-assertions", content=raw, headers=headers)
    assert (response.status_code, response.json()["error"]) == (400, "fact_not_held")


async def test_a_lookup_without_a_legal_basis_or_unsigned_is_refused(
    bureau: tuple[Signer, Path],
) -> None:
    async with client_of("permit", bureau) as sim:
        raw, headers = signed(
            bureau[0],
            citizen_id=PERSON,
            name="王小明",
            question=question("has_residence_permit"),
            legal_basis=None,
        )
        response = await sim.post("/v1/fact-assertions", content=raw, headers=headers)
        assert (response.status_code, response.json()["error"]) == (
            400,
            "legal_basis_or_consent_required",
        )
        foreign = signed(Signer.generate(), citizen_id=PERSON, name="王小明", question={})
        response = await sim.post("/v1/fact-assertions", content=foreign[0], headers=foreign[1])
        assert response.status_code == 401


async def test_a_batch_signs_its_header_over_the_hashed_entries(
    bureau: tuple[Signer, Path],
) -> None:
    unknown = make_citizen_id("150602", date(2019, 5, 1), 2)
    items = [
        {"ref": "a", "citizen_id": PERSON, "name": "王小明", "question": question("rents_home")},
        {"ref": "b", "citizen_id": unknown, "name": "李四", "question": question("rents_home")},
    ]
    async with client_of("estate", bureau) as sim:
        raw, headers = signed(bureau[0], request_id="batch-1", items=items)
        body = (await sim.post("/v1/fact-assertions/batch", content=raw, headers=headers)).json()
        key = public_key_from_text((await sim.get("/.well-known/agency-key")).json()["public_key"])
    assert verify_object(key, body["header"], body["signature"]) is True
    header, entries = body["header"], body["entries"]
    assert (header["request_id"], header["count"]) == ("batch-1", 2)
    assert header["entries_sha256"] == sha256_hex(canonical_json(entries))
    assert [e[:4] for e in entries] == [
        ["a", sha256_hex(PERSON.encode()), True, True],
        ["b", sha256_hex(unknown.encode()), None, False],
    ]


def test_generated_households_are_deterministic_and_include_migrants() -> None:
    people = generate_people("150602", seed=3, size=400, today=date(2026, 9, 1))
    assert people == generate_people("150602", seed=3, size=400, today=date(2026, 9, 1))
    migrants = [p for p in people if p.hukou_county != "150602"]
    assert 0.15 < len(migrants) / len(people) < 0.35
    assert any(p.permit_issued_on and p.lease_address and p.social_since for p in migrants)
