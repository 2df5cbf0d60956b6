"""POST /v1/children/export in assistance (《个人信息保护法》第四十五条, issue 20 item 4), on both
databases: everything held about one child — roster row, awards and their history, the lookups
about the child, the rows of the agencies' category lists naming the child (its legal holds:
test_retention_api.py) — unmasked, for `assistance:pii` only,
within the caller's jurisdiction, and in the audit trail; nothing about another child."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.models import AgencyAssertion, CategoryList, CategoryListEntry
from assistance.ledger import service as ledger
from assistance.students.models import Student, citizen_id_index
from junheng_kit.agency.ledger import LedgerRecord
from junheng_kit.agency.protocol import subject_sha256
from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.testing.plugin import TokenFactory, auth
from junheng_kit.timeutil import utcnow

from .conftest import MakeStudent
from .test_api import reviewed_award

BUREAU = ("assistance:read", "assistance:write", "assistance:pii")
SECTIONS = (
    "students",
    "pending_placements",
    "agency_lookups",
    "awards",
    "award_history",
    "disbursement_items",
    "objections",
    "status_notices",
    "transfers",
    "agency_assertions",
    "review_items",
    "legal_holds",
    "category_list_entries",
)


@pytest.fixture
def bureau(token: TokenFactory) -> dict[str, Any]:
    return auth(token(*BUREAU))


def asked_about(key: str, n: int) -> LedgerRecord:
    return LedgerRecord(
        kind="lookup",
        actor="school-150602",
        county_code="150602",
        agency="mca",
        purpose="资助资格认定",
        request_id=f"req-{n}",
        outcome="matched",
        student_key=key,
        consent_ref=f"consent-{n}",
    )


async def test_the_childs_rows_are_exported_unmasked_and_only_theirs(
    client: AsyncClient,
    session: AsyncSession,
    make_student: MakeStudent,
    bureau: dict[str, Any],
    token: TokenFactory,
) -> None:
    award = await reviewed_award(client, bureau, make_student, name="李小明")
    other = await reviewed_award(client, bureau, make_student, name="赵小红")
    pupil = await session.get(Student, UUID(award["student_id"]))
    assert pupil is not None
    await ledger.append(session, asked_about(pupil.student_key, 1))
    await ledger.append(session, asked_about("f" * 32, 2))
    await session.commit()

    without_pii = await client.post(
        "/v1/children/export",
        json={"citizen_id": pupil.citizen_id},
        headers=auth(token("assistance:read", "assistance:write")),
    )
    assert without_pii.status_code == 403
    assert without_pii.json()["errors"][0]["rule"] == "scope_required"

    answer = await client.post(
        "/v1/children/export", json={"citizen_id": pupil.citizen_id}, headers=bureau
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["service"], body["student_key"]) == ("assistance", pupil.student_key)
    assert "第四十五条" in body["legal_basis"]
    sections = body["sections"]
    (student,) = sections["students"]
    assert (student["citizen_id"], student["name"]) == (pupil.citizen_id, "李小明")
    assert [a["id"] for a in sections["awards"]] == [award["id"]]
    assert [(h["from_status"], h["to_status"]) for h in sections["award_history"]] == [
        (None, "applied"),
        ("applied", "reviewed"),
    ]
    assert [(e["seq"], e["consent_ref"]) for e in sections["agency_lookups"]] == [(1, "consent-1")]
    assert other["id"] not in answer.text
    assert "赵小红" not in answer.text
    assert other["student_id"] not in answer.text

    trail = await client.get(
        "/v1/audit",
        params={"student_key": pupil.student_key},
        headers=auth(token("audit:read")),
    )
    exports = [e for e in trail.json()["items"] if e["kind"] == "child"]
    assert [(e["action"], e["outcome"], e["classes"]) for e in exports] == [
        ("export", "ok", ["personal", "sensitive"])
    ]
    everything = await client.get("/v1/audit", headers=auth(token("audit:read")))
    refusals = [
        (e["kind"], e["action"]) for e in everything.json()["items"] if e["outcome"] == "denied"
    ]
    assert refusals == [("child", "export")]  # the caller without assistance:pii


async def test_another_countys_pupil_and_an_unknown_child_export_empty_sections(
    client: AsyncClient,
    make_student: MakeStudent,
    bureau: dict[str, Any],
    token: TokenFactory,
) -> None:
    elsewhere = await make_student(county_code="150603", school_code="2115060301")
    for citizen_id in (elsewhere.citizen_id, cid("15060220190315999")):
        answer = await client.post(
            "/v1/children/export", json={"citizen_id": citizen_id}, headers=bureau
        )
        assert answer.status_code == 200, answer.text
        sections = answer.json()["sections"]
        assert sorted(sections) == sorted(SECTIONS)
        assert all(rows == [] for rows in sections.values()), sections
    invalid = await client.post(
        "/v1/children/export", json={"citizen_id": "150602201903150019"}, headers=bureau
    )
    assert invalid.status_code == 422


async def category_list(
    session: AsyncSession, region: str, agency: str, fetched: str, entries: list[tuple[str, str]]
) -> CategoryList:
    listed = CategoryList(
        agency=agency,
        region_code=region,
        list_id=f"{agency}-{region}-{fetched}",
        as_of=date.fromisoformat(fetched),
        entry_count=len(entries),
        entries_sha256="0" * 64,
        key_id="k1",
        signature="s" * 86,
        fetched_at=datetime.fromisoformat(f"{fetched}T08:00:00+08:00"),
        ledger_seq=1,
    )
    session.add(listed)
    await session.flush()
    session.add_all(
        CategoryListEntry(
            list_ref=listed.id,
            citizen_id=citizen_id,
            name=name,
            category="dibao" if agency == "mca" else "disability",
            grade=None if agency == "mca" else 2,
            valid_from=date(2025, 1, 1),
            valid_until=date(2025, 12, 31) if agency == "mca" else None,
            assertion_id=f"a-{listed.list_id}-{n}",
        )
        for n, (citizen_id, name) in enumerate(entries)
    )
    await session.flush()
    return listed


async def test_the_category_list_rows_naming_the_child_are_exported_with_their_lists(
    client: AsyncClient,
    session: AsyncSession,
    make_student: MakeStudent,
    bureau: dict[str, Any],
) -> None:
    """Each row of every list held in the caller's county whose citizen ID is the child's, with
    the list's agency and dates; rows of other children and lists of another county are not in
    it."""
    pupil = await make_student(name="李小明")
    other = await make_student(name="赵小红")
    old = await category_list(
        session,
        "150602",
        "mca",
        "2025-03-01",
        [(pupil.citizen_id, "李小明"), (other.citizen_id, "赵小红")],
    )
    new = await category_list(
        session, "150602", "cdpf", "2025-09-01", [(pupil.citizen_id, "李晓明")]
    )
    await category_list(session, "150603", "mca", "2025-09-01", [(pupil.citizen_id, "李小明")])
    await session.commit()

    answer = await client.post(
        "/v1/children/export", json={"citizen_id": pupil.citizen_id}, headers=bureau
    )
    assert answer.status_code == 200, answer.text
    rows = answer.json()["sections"]["category_list_entries"]
    assert [
        (
            r["list_ref"],
            r["agency"],
            r["region_code"],
            r["list_as_of"],
            r["citizen_id"],
            r["name"],
            r["category"],
            r["grade"],
            r["valid_from"],
            r["valid_until"],
        )
        for r in rows
    ] == [
        (
            str(old.id),
            "mca",
            "150602",
            "2025-03-01",
            pupil.citizen_id,
            "李小明",
            "dibao",
            None,
            "2025-01-01",
            "2025-12-31",
        ),
        (
            str(new.id),
            "cdpf",
            "150602",
            "2025-09-01",
            pupil.citizen_id,
            "李晓明",
            "disability",
            2,
            "2025-01-01",
            None,
        ),
    ]
    assert "赵小红" not in answer.text
    assert other.citizen_id not in answer.text


async def test_answers_about_a_child_off_the_roster_are_found_by_the_ids_blind_index(
    client: AsyncClient, session: AsyncSession, bureau: dict[str, Any]
) -> None:
    """An agency's answer about a child asked for by ID (not on the roster: no pupil row) is
    exported by the blind index of the ID, when the lookup was made in the caller's county."""
    child, other = cid("15060220190315001"), cid("15060220190315002")
    for n, (citizen_id, county) in enumerate(
        [(child, "150602"), (child, "150603"), (other, "150602")], start=1
    ):
        entry = await ledger.append(session, asked_about(f"{n:032x}", n))
        entry.county_code = county
        session.add(
            AgencyAssertion(
                assertion_id=f"mca-{n}",
                agency="mca",
                student_id=None,
                citizen_id_index=citizen_id_index(citizen_id),
                subject_sha256=subject_sha256(citizen_id),
                matched=True,
                name_matches=True,
                categories=[],
                issued_at=utcnow(),
                key_id="k1",
                signature="s" * 86,
                ledger_seq=entry.seq,
            )
        )
    await session.commit()

    answer = await client.post("/v1/children/export", json={"citizen_id": child}, headers=bureau)
    assert answer.status_code == 200, answer.text
    assert [
        (a["assertion_id"], a["subject_sha256"])
        for a in answer.json()["sections"]["agency_assertions"]
    ] == [("mca-1", subject_sha256(child))]
