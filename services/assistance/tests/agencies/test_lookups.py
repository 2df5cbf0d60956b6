"""Lookups through the connector to real simulator processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.models import AgencyAssertion, CategoryList, CategoryListEntry
from assistance.ledger.models import LedgerEntry
from assistance.students.models import citizen_id_index
from junheng_kit.agency.connector import BREAKER_OPEN
from junheng_kit.testing.plugin import auth

from .conftest import WANG, ZHANG, Simulator

BASIS = {"purpose": "2026 秋季学期家庭经济困难学生认定", "legal_basis": "教财〔2018〕16号"}
READ, WRITE, PII = "assistance:read", "assistance:write", "assistance:pii"


async def lookup(client: httpx.AsyncClient, bearer: str, **body: Any) -> httpx.Response:
    return await client.post("/v1/lookups", json={**BASIS, **body}, headers=auth(bearer))


def by_agency(response: httpx.Response) -> dict[str, Any]:
    return {r["agency"]: r for r in response.json()["results"]}


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


class TestVerifiedLookup:
    async def test_each_agency_answers_its_categories_signed_and_ledgered(
        self, client, session, token, students
    ) -> None:
        response = await lookup(client, token(WRITE, PII), student_id=str(students["wang"]))
        assert response.status_code == 200, response.text
        results = by_agency(response)
        mca, cdpf = results["mca"]["assertion"], results["cdpf"]["assertion"]
        assert (results["mca"]["status"], results["cdpf"]["status"]) == ("verified", "verified")
        assert mca["categories"] == [
            {
                "category": "dibao",
                "grade": None,
                "valid_from": "2025-01-01",
                "valid_until": "2027-12-31",
            }
        ]
        assert cdpf["categories"] == [
            {
                "category": "disabled_student",
                "grade": 2,
                "valid_from": "2024-03-01",
                "valid_until": None,
            }
        ]
        assert (mca["matched"], mca["name_matches"], mca["source"]) == (True, True, "agency")
        stored = (await session.scalars(select(AgencyAssertion))).all()
        assert {(a.agency, a.student_id, a.ledger_seq) for a in stored} == {
            ("mca", students["wang"], results["mca"]["ledger_seq"]),
            ("cdpf", students["wang"], results["cdpf"]["ledger_seq"]),
        }
        entries = (await session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq))).all()
        assert [(e.seq, e.outcome, e.purpose, e.actor) for e in entries] == [
            (1, "matched", BASIS["purpose"], "test-client"),
            (2, "matched", BASIS["purpose"], "test-client"),
        ]
        assert all(WANG not in (e.student_key or "") for e in entries)
        # at rest: found by the ID's keyed blind index; the protocol's plain hash sealed
        assert {(a.citizen_id_index, a.subject_sha256) for a in stored} == {
            (citizen_id_index(WANG), hashlib.sha256(WANG.encode()).hexdigest())
        }
        raw = (await session.execute(text("SELECT subject_sha256 FROM agency_assertion"))).all()
        assert [str(r[0])[:6] for r in raw] == ["enc:1:", "enc:1:"]
        assert not any(hashlib.sha256(WANG.encode()).hexdigest() in str(r[0]) for r in raw)

    async def test_without_pii_names_ids_and_categories_are_masked(
        self, client, token, students
    ) -> None:
        response = await lookup(
            client, token(WRITE), student_id=str(students["wang"]), agencies=["mca"]
        )
        body = response.json()
        assert (body["name"], body["citizen_id"]) == ("王*", WANG[:6] + "********" + WANG[-4:])
        assert body["results"][0]["assertion"]["categories"] is None
        assert body["results"][0]["assertion"]["matched"] is True

    async def test_expired_category_is_not_a_match(self, client, token, students) -> None:
        response = await lookup(
            client, token(WRITE, PII), student_id=str(students["li"]), agencies=["mca"]
        )
        assertion = by_agency(response)["mca"]["assertion"]
        assert (assertion["matched"], assertion["categories"]) == (False, [])

    async def test_a_name_variant_is_a_partial_match(self, client, token, students) -> None:
        response = await lookup(
            client, token(WRITE, PII), student_id=str(students["zhang"]), agencies=["mca"]
        )
        assertion = by_agency(response)["mca"]["assertion"]
        assert (assertion["matched"], assertion["name_matches"]) == (True, False)

    async def test_a_person_not_on_the_roster_is_looked_up_by_id_name_and_county(
        self, client, session, token, students
    ) -> None:
        response = await lookup(
            client,
            token(WRITE, PII),
            citizen_id=ZHANG,
            name="张三丰",
            county_code="150602",
            agencies=["mca"],
        )
        assert response.status_code == 200, response.text
        assert by_agency(response)["mca"]["assertion"]["name_matches"] is True
        stored = (await session.scalars(select(AgencyAssertion))).all()
        assert [a.citizen_id_index for a in stored] == [citizen_id_index(ZHANG)]


class TestRefusedLookups:
    async def test_without_purpose_is_refused_and_not_logged(
        self, client, session, token, students
    ) -> None:
        response = await client.post(
            "/v1/lookups",
            json={"student_id": str(students["wang"]), "legal_basis": "教财〔2018〕16号"},
            headers=auth(token(WRITE)),
        )
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("purpose", "purpose_required")
        ]
        assert await count(session, LedgerEntry) == 0

    async def test_without_basis_or_consent_is_refused(self, client, token, students) -> None:
        response = await client.post(
            "/v1/lookups",
            json={"student_id": str(students["wang"]), "purpose": "认定"},
            headers=auth(token(WRITE)),
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "legal_basis_or_consent_required"

    async def test_consent_reference_stands_in_for_a_legal_basis(
        self, client, token, students
    ) -> None:
        response = await client.post(
            "/v1/lookups",
            json={
                "student_id": str(students["wang"]),
                "purpose": "认定",
                "consent_ref": "c-1",
                "agencies": ["mca"],
            },
            headers=auth(token(WRITE)),
        )
        assert response.status_code == 200

    async def test_another_countys_student_is_forbidden(
        self, client, session, token, students
    ) -> None:
        response = await lookup(client, token(WRITE, PII), student_id=str(students["other"]))
        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == "student_id"
        assert await count(session, LedgerEntry) == 0

    async def test_unknown_agency_is_refused(self, client, token, students) -> None:
        response = await lookup(
            client, token(WRITE), student_id=str(students["wang"]), agencies=["moa"]
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "agency_configured"

    async def test_reading_scope_cannot_look_up(self, client, token, students) -> None:
        response = await lookup(client, token(READ), student_id=str(students["wang"]))
        assert response.status_code == 403


class TestBadAgencySignature:
    async def test_is_refused_naming_the_agency_and_only_the_ledger_keeps_it(
        self, client, session, token, students, simulators: dict[str, Simulator]
    ) -> None:
        simulators["mca"].faults("bad_signature")
        response = await lookup(
            client, token(WRITE, PII), student_id=str(students["wang"]), agencies=["mca"]
        )
        assert response.status_code == 502
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("agencies.mca.signature", "agency_signature_valid")
        ]
        assert await count(session, AgencyAssertion) == 0
        entries = (await session.scalars(select(LedgerEntry))).all()
        assert [(e.agency, e.outcome, e.answer_id) for e in entries] == [("mca", "refused", None)]


class TestAgencyDown:
    async def test_answers_unavailable_with_the_manual_evidence_path(
        self, client, token, students, simulators: dict[str, Simulator]
    ) -> None:
        simulators["cdpf"].faults("down")
        response = await lookup(client, token(WRITE, PII), student_id=str(students["wang"]))
        results = by_agency(response)
        assert response.status_code == 200
        assert results["mca"]["status"] == "verified"
        assert (results["cdpf"]["status"], results["cdpf"]["manual_evidence"]) == (
            "unavailable",
            "/v1/manual-evidence",
        )
        assert results["cdpf"]["detail"] == "部门应答 503 / agency answered 503"

    async def test_manual_evidence_becomes_a_manual_assertion_in_the_access_log(
        self, client, session, token, students, simulators: dict[str, Simulator]
    ) -> None:
        simulators["cdpf"].faults("down")
        await lookup(client, token(WRITE, PII), student_id=str(students["wang"]), agencies=["cdpf"])
        response = await client.post(
            "/v1/manual-evidence",
            json={
                **BASIS,
                "student_id": str(students["wang"]),
                "agency": "cdpf",
                "category": "disabled_student",
                "grade": 2,
                "valid_from": "2024-03-01",
                "kind": "残疾人证",
                "reference": "15060220150301001X42",
                "reviewer": "刘老师",
            },
            headers=auth(token(WRITE, PII)),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["source"], body["key_id"], body["categories"][0]["grade"]) == (
            "manual",
            None,
            2,
        )
        log = await client.get(
            f"/v1/students/{students['wang']}/access-log", headers=auth(token(READ))
        )
        assert [(e["kind"], e["agency"], e["outcome"]) for e in log.json()["entries"]] == [
            ("manual_evidence", "cdpf", "manual"),
            ("lookup", "cdpf", "unavailable"),
        ]
        # the hash-chained ledger outlives the purge: the certificate's number is not in it
        stored = (await session.scalars(select(LedgerEntry.detail))).all()
        assert "残疾人证, reviewer 刘老师" in stored
        assert not any("15060220150301001X42" in (detail or "") for detail in stored)

    async def test_manual_evidence_for_a_category_the_agency_does_not_hold_is_refused(
        self, client, token, students
    ) -> None:
        response = await client.post(
            "/v1/manual-evidence",
            json={
                **BASIS,
                "student_id": str(students["wang"]),
                "agency": "cdpf",
                "category": "dibao",
                "valid_from": "2026-01-01",
                "valid_until": "2025-01-01",
                "kind": "低保证",
                "reference": "x",
                "reviewer": "刘老师",
            },
            headers=auth(token(WRITE)),
        )
        assert response.status_code == 422
        assert {(e["field"], e["rule"]) for e in response.json()["errors"]} == {
            ("category", "category_held_by_agency"),
            ("valid_until", "valid_dates_ordered"),
        }


class TestRetriesAndBreaker:
    async def test_a_flaky_agency_is_retried_until_it_answers(
        self, client, token, students, simulators: dict[str, Simulator]
    ) -> None:
        simulators["mca"].faults("flaky", fail_every=1)  # every request fails …
        simulators["mca"].faults("flaky", fail_every=2)  # … now every second one
        await lookup(client, token(WRITE), student_id=str(students["wang"]), agencies=["mca"])
        response = await lookup(
            client, token(WRITE), student_id=str(students["wang"]), agencies=["mca"]
        )
        assert by_agency(response)["mca"]["status"] == "verified"
        assert simulators["mca"].requests() == 3  # ok, 503 then the retry

    async def test_breaker_opens_after_three_failures_and_recovers_half_open(
        self, app, client, token, students, simulators: dict[str, Simulator]
    ) -> None:
        # the breaker's clock stands still unless the test moves it: a slow machine cannot
        # let the 0.5 s reset pass between the third failure and the fourth call
        now = [1000.0]
        app.state.agency_connector.clock = lambda: now[0]
        mca = simulators["mca"]
        mca.faults("down")
        for _ in range(3):
            await lookup(client, token(WRITE), student_id=str(students["wang"]), agencies=["mca"])
        assert mca.requests() == 9  # three calls, each tried 1 + 2 retries
        response = await lookup(
            client, token(WRITE), student_id=str(students["wang"]), agencies=["mca"]
        )
        assert by_agency(response)["mca"]["detail"] == BREAKER_OPEN
        assert mca.requests() == 9
        health = await client.get("/v1/agencies/mca/health", headers=auth(token(READ)))
        assert (health.json()["breaker"], health.json()["calls"], health.json()["failures"]) == (
            "open",
            3,
            3,
        )
        now[0] += 0.4  # still within the reset time: refused without a call
        response = await lookup(
            client, token(WRITE), student_id=str(students["wang"]), agencies=["mca"]
        )
        assert by_agency(response)["mca"]["detail"] == BREAKER_OPEN
        assert mca.requests() == 9
        mca.faults("ok")
        now[0] += 0.2  # the reset time has passed: one trial call
        response = await lookup(
            client, token(WRITE), student_id=str(students["wang"]), agencies=["mca"]
        )
        assert by_agency(response)["mca"]["status"] == "verified"
        health = await client.get("/v1/agencies/mca/health", headers=auth(token(READ)))
        assert (health.json()["breaker"], health.json()["match_rate"]) == ("closed", 1.0)


class TestCategoryLists:
    async def test_refresh_stores_each_agencys_verified_list(
        self, client, session, token, students
    ) -> None:
        response = await client.post(
            "/v1/category-lists/refresh",
            json={"region_code": "150602", **BASIS},
            headers=auth(token(WRITE)),
        )
        assert response.status_code == 200, response.text
        summaries = {s["agency"]: s for s in response.json()}
        # 50 generated people each + the planted ones valid on 2026-11-23, minus the expired share
        assert summaries["mca"]["status"] == summaries["cdpf"]["status"] == "fetched"
        planted = (
            await session.execute(
                select(CategoryListEntry.category, CategoryListEntry.grade).where(
                    CategoryListEntry.citizen_id_index == citizen_id_index(WANG)
                )
            )
        ).all()
        assert sorted(planted, key=str) == [("dibao", None), ("disabled_student", 2)]
        stored = await count(session, CategoryListEntry)
        assert stored == summaries["mca"]["entry_count"] + summaries["cdpf"]["entry_count"]
        lists = await client.get("/v1/category-lists", headers=auth(token(READ)))
        assert sorted(item["agency"] for item in lists.json()) == ["cdpf", "mca"]
        assert "entries" not in lists.json()[0]

    async def test_a_down_agency_is_unavailable_and_the_others_are_fetched(
        self, client, session, token, simulators: dict[str, Simulator]
    ) -> None:
        simulators["mca"].faults("down")
        response = await client.post(
            "/v1/category-lists/refresh",
            json={"region_code": "150602", **BASIS},
            headers=auth(token(WRITE)),
        )
        summaries = {s["agency"]: s for s in response.json()}
        assert (summaries["mca"]["status"], summaries["mca"]["list_ref"]) == ("unavailable", None)
        assert summaries["cdpf"]["status"] == "fetched"
        assert await count(session, CategoryList) == 1

    async def test_another_countys_list_is_forbidden(self, client, token) -> None:
        response = await client.post(
            "/v1/category-lists/refresh",
            json={"region_code": "150603", **BASIS},
            headers=auth(token(WRITE)),
        )
        assert response.status_code == 403


class TestLedger:
    async def test_verify_reports_an_intact_chain(self, client, token, students) -> None:
        for _ in range(2):
            await lookup(client, token(WRITE), student_id=str(students["wang"]))
        response = await client.get("/v1/ledger/verify", headers=auth(token(READ)))
        assert response.status_code == 200
        assert (response.json()["intact"], response.json()["entries"]) == (True, 4)

    async def test_an_edited_entry_breaks_the_chain_at_that_entry(
        self, client, session, token, students
    ) -> None:
        for _ in range(2):
            await lookup(client, token(WRITE), student_id=str(students["wang"]))
        await session.execute(text("UPDATE ledger_entry SET purpose = '别的目的' WHERE seq = 3"))
        await session.commit()
        response = await client.get("/v1/ledger/verify", headers=auth(token(READ)))
        assert response.status_code == 409
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("entries[3].entry_hash", "hash_chain")
        ]


class TestAccessLog:
    async def test_the_family_sees_every_lookup_about_the_child(
        self, client, token, students
    ) -> None:
        await lookup(
            client, token(WRITE, subject="school-150602"), student_id=str(students["wang"])
        )
        response = await client.post(
            "/v1/access-log/query", json={"citizen_id": WANG}, headers=auth(token(READ, PII))
        )
        assert response.status_code == 200
        body = response.json()
        assert body["student_id"] == str(students["wang"])
        assert sorted(
            (
                e["agency"],
                e["agency_name"],
                e["purpose"],
                e["legal_basis"],
                e["actor"],
                e["outcome"],
            )
            for e in body["entries"]
        ) == [
            ("cdpf", "残联", BASIS["purpose"], BASIS["legal_basis"], "school-150602", "matched"),
            ("mca", "民政", BASIS["purpose"], BASIS["legal_basis"], "school-150602", "matched"),
        ]

    async def test_query_by_citizen_id_needs_pii(self, client, token) -> None:
        response = await client.post(
            "/v1/access-log/query", json={"citizen_id": WANG}, headers=auth(token(READ))
        )
        assert response.status_code == 403

    async def test_another_countys_student_log_is_forbidden(self, client, token, students) -> None:
        response = await client.get(
            f"/v1/students/{students['other']}/access-log", headers=auth(token(READ))
        )
        assert response.status_code == 403

    async def test_agencies_list_reports_health(self, client, token) -> None:
        response = await client.get("/v1/agencies", headers=auth(token(READ)))
        assert [(a["code"], a["health"]["breaker"]) for a in response.json()] == [
            ("mca", "closed"),
            ("cdpf", "closed"),
        ]
