"""The simulator's side of the protocol, in process over ASGI: auth, basis, minimal answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from agency_sim.app import AgencyState, create_app
from agency_sim.registry import Holding, Registry, generate, make_citizen_id, variant_of
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

TODAY = date(2026, 11, 23)
PERSON = make_citizen_id("150602", date(2015, 3, 1), 1)


@pytest.fixture
def bureau(tmp_path: Path) -> tuple[Signer, Path]:
    path = tmp_path / "bureau.pem"
    return ensure_private_key(path), path


@pytest.fixture
async def sim(bureau: tuple[Signer, Path]):  # type: ignore[no-untyped-def]
    holdings = [
        Holding(PERSON, "王小明", "dibao", None, date(2025, 1, 1), date(2027, 1, 1), "150602"),
        Holding(PERSON, "王小明", "tekun", None, date(2020, 1, 1), date(2026, 1, 1), "150602"),
    ]
    state = AgencyState(
        "mca", Signer.generate(), bureau[1], Registry(holdings), today=lambda: TODAY
    )
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        yield client


def signed(signer: Signer, **changes: object) -> tuple[bytes, dict[str, str]]:
    body = {
        "request_id": "r1",
        "requester": "test",
        "requested_at": datetime.now(UTC).isoformat(),
        "citizen_id": PERSON,
        "name": "王小明",
        "purpose": "认定",
        "legal_basis": "教财〔2018〕16号",
        "consent_ref": None,
        **changes,
    }
    raw = canonical_json(body)
    return raw, {KEY_ID_HEADER: signer.key_id, SIGNATURE_HEADER: signer.sign(raw)}


async def test_answers_only_current_categories_signed_by_the_agency(sim, bureau) -> None:
    raw, headers = signed(bureau[0])
    response = await sim.post("/v1/assertions", content=raw, headers=headers)
    body = response.json()
    key = public_key_from_text((await sim.get("/.well-known/agency-key")).json()["public_key"])
    assert verify_object(key, body["assertion"], body["signature"]) is True
    assert body["assertion"]["categories"] == [
        {
            "category": "dibao",
            "grade": None,
            "valid_from": "2025-01-01",
            "valid_until": "2027-01-01",
        }
    ]
    assert body["assertion"]["subject_sha256"] == sha256_hex(PERSON.encode())
    assert set(body["assertion"]) == {
        "assertion_id", "agency", "request_id", "subject_sha256", "matched", "name_matches",
        "categories", "issued_at",
    }  # fmt: skip


async def test_an_unsigned_or_foreign_signed_request_is_401(sim, bureau) -> None:
    raw, headers = signed(Signer.generate())
    assert (await sim.post("/v1/assertions", content=raw)).status_code == 401
    assert (await sim.post("/v1/assertions", content=raw, headers=headers)).status_code == 401


async def test_a_stale_request_is_401(sim, bureau) -> None:
    stale = (datetime.now(UTC) - timedelta(minutes=6)).isoformat()
    raw, headers = signed(bureau[0], requested_at=stale)
    response = await sim.post("/v1/assertions", content=raw, headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "request_stale")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"purpose": ""}, "purpose_required"),
        ({"legal_basis": None, "consent_ref": None}, "legal_basis_or_consent_required"),
    ],
)
async def test_a_request_without_purpose_or_basis_is_400(sim, bureau, changes, error) -> None:
    raw, headers = signed(bureau[0], **changes)
    response = await sim.post("/v1/assertions", content=raw, headers=headers)
    assert (response.status_code, response.json()["error"]) == (400, error)


async def test_a_category_list_hashes_its_entries_and_signs_its_header(sim, bureau) -> None:
    raw, headers = signed(bureau[0], region_code="150602", citizen_id=None, name=None)
    body = (await sim.post("/v1/category-lists", content=raw, headers=headers)).json()
    assert body["header"]["count"] == 1
    assert body["header"]["entries_sha256"] == sha256_hex(canonical_json(body["entries"]))
    assert body["entries"][0][:6] == [PERSON, "王小明", "dibao", None, "2025-01-01", "2027-01-01"]


def test_generation_is_deterministic_and_ids_are_valid() -> None:
    first = generate("cdpf", "150602", seed=7, size=30, today=TODAY)
    assert first == generate("cdpf", "150602", seed=7, size=30, today=TODAY)
    assert {h.category for h in first} <= {"disabled_student", "disabled_parent"}
    assert all(h.grade in {1, 2, 3, 4} for h in first)


def test_a_name_variant_differs_in_one_character() -> None:
    assert variant_of("李子涵") == "李子含"


def test_civil_affairs_keeps_the_left_behind_register_and_says_it_answers_for_it(
    tmp_path: Path,
) -> None:
    """民政 keeps the 农村留守儿童 register (国发〔2016〕13号): the simulator holds such children
    and the agencies file it writes for assistance lists the category under mca only."""
    import json

    from agency_sim.__main__ import main

    held = generate("mca", "150602", seed=7, size=200, today=TODAY)
    assert "left_behind_child" in {h.category for h in held}
    main(
        [
            "config",
            "--key-dir",
            str(tmp_path),
            "--agency=mca=http://127.0.0.1:8201",
            "--agency=cdpf=http://127.0.0.1:8202",
            "--out",
            str(tmp_path / "agencies.json"),
        ]
    )
    answers = {
        a["code"]: a["categories"] for a in json.loads((tmp_path / "agencies.json").read_text())
    }
    assert "left_behind_child" in answers["mca"]
    assert "left_behind_child" not in answers["cdpf"]
