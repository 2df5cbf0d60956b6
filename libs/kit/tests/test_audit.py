"""The audit trail (junheng_kit.audit): one line per endpoint, entries written with the answer's
status, chained in batches off the request path, verified, queried by an auditor within its
jurisdiction, exported and archived past the retention. SQLite and PostgreSQL."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from pydantic import ValidationError
from sqlalchemy import delete, insert, select, text, update

from junheng_kit.agency.ledger_rules import GENESIS_HASH, entry_hash
from junheng_kit.app import KIT_AUDIT, build_service_app
from junheng_kit.audit import AuditRecord, AuditTrail, audit_of
from junheng_kit.audit.archive import archive_expired, verify_segment
from junheng_kit.audit.rules import HASHED_FIELDS
from junheng_kit.audit.tables import AuditArchive, AuditEntry
from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.problems import NotFound
from junheng_kit.testing.plugin import TokenFactory, auth, small_service_settings
from junheng_kit.timeutil import utcnow

KEY = "0123456789abcdef0123456789abcdef"
OTHER_KEY = "fedcba9876543210fedcba9876543210"


def child_router() -> APIRouter:
    """A service with one audited read: a child's record, personal fields."""
    router = APIRouter()

    @router.get("/v1/children/{code}")
    async def read_child(
        code: str,
        audit: Annotated[AuditTrail, Depends(audit_of("child", "read"))],
        _: Annotated[Principal, Depends(require_scopes("kids:read"))],
    ) -> dict[str, str]:
        if code == "missing":
            raise NotFound("no such child")
        audit.touched(ids=[code], student_keys=[KEY], classes=["personal"], county_code="150602")
        return {"name": "张三"}

    return router


def child_app(database_url: str, jwks_json: str, **values: Any) -> FastAPI:
    return build_service_app(
        small_service_settings("kids", database_url, jwks_json=jwks_json, **values),
        title="kids",
        description="",
        routers=[child_router()],
    )


@pytest.fixture
async def served(fresh_database_url: str, jwks_json: str) -> AsyncIterator[FastAPI]:
    app = child_app(fresh_database_url, jwks_json)
    async with app.router.lifespan_context(app):
        yield app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kids")


async def entries(app: FastAPI) -> list[dict[str, Any]]:
    async with app.state.sessionmaker() as session:
        rows = await session.execute(select(*AuditEntry.__table__.columns).order_by(AuditEntry.id))
        return [dict(row._mapping) for row in rows]


async def test_a_read_is_recorded_with_who_why_what_and_outcome(
    served: FastAPI, token: TokenFactory
) -> None:
    async with client_of(served) as http:
        ok = await http.get(
            "/v1/children/c-1",
            headers=auth(
                token("kids:read"), **{"X-On-Behalf-Of": "clerk 7", "X-Purpose": quote("审核")}
            ),
        )
        missing = await http.get("/v1/children/missing", headers=auth(token("kids:read")))
        denied = await http.get("/v1/children/c-2", headers=auth(token("other:read")))
        anonymous = await http.get("/v1/children/c-3")
    assert (ok.status_code, missing.status_code, denied.status_code) == (200, 404, 403)
    assert anonymous.status_code == 401
    recorded = await entries(served)
    assert [(e["outcome"], e["status"]) for e in recorded] == [
        ("ok", 200),
        ("not_found", 404),
        ("denied", 403),
    ]  # the 401 names no one: not recorded
    first = recorded[0]
    assert first["client_id"] == "test-client"
    assert (first["on_behalf_of"], first["purpose"]) == ("clerk 7", "审核")
    assert (first["action"], first["kind"], first["record_ids"]) == ("read", "child", ["c-1"])
    assert (first["student_keys"], first["classes"], first["county_code"]) == (
        KEY,
        ["personal"],
        "150602",
    )
    assert first["request_id"] == ok.headers["x-request-id"]
    assert recorded[1]["purpose"] == "unspecified"  # no X-Purpose, no client default
    # written once, already linked: each entry after the one before, from the genesis
    assert [e["seq"] for e in recorded] == [1, 2, 3]
    assert first["prev_hash"] == GENESIS_HASH
    assert [e["prev_hash"] for e in recorded[1:]] == [e["entry_hash"] for e in recorded[:2]]
    assert first["entry_hash"] == entry_hash(GENESIS_HASH, first, fields=HASHED_FIELDS)


async def test_the_clients_declared_purpose_is_used_when_the_call_declares_none(
    served: FastAPI, signer: Any
) -> None:
    bearer = signer.issue(
        subject="app-backend",
        scopes=["kids:read"],
        jurisdiction=["150602"],
        extra={"purpose": "入学资格审核"},
    )
    async with client_of(served) as http:
        assert (await http.get("/v1/children/c-1", headers=auth(bearer))).status_code == 200
    assert (await entries(served))[0]["purpose"] == "入学资格审核"


@pytest.mark.parametrize(
    "value", ["x" * 129, "tab\there", " padded"], ids=["too-long", "control", "padded"]
)
async def test_an_invalid_on_behalf_of_is_422_naming_it_and_recorded_as_refused(
    served: FastAPI, token: TokenFactory, value: str
) -> None:
    async with client_of(served) as http:
        answer = await http.get(
            "/v1/children/c-1", headers=auth(token("kids:read"), **{"X-On-Behalf-Of": value})
        )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "x-on-behalf-of"
    assert answer.json()["errors"][0]["rule"] == "on_behalf_of_format"
    assert [e["outcome"] for e in await entries(served)] == ["refused"]


async def test_the_trail_needs_audit_read_and_shows_the_callers_jurisdiction_only(
    served: FastAPI, token: TokenFactory
) -> None:
    async with client_of(served) as http:
        await http.get("/v1/children/c-1", headers=auth(token("kids:read")))
        await http.get(  # a client of another county reads (its own county recorded)
            "/v1/children/missing", headers=auth(token("kids:read", jurisdiction=("150102",)))
        )
        refused = await http.get("/v1/audit", headers=auth(token("kids:read")))
        county = await http.get("/v1/audit", headers=auth(token("audit:read")))
        province = await http.get(
            "/v1/audit", headers=auth(token("audit:read", jurisdiction=("15",)))
        )
        by_child = await http.get(
            "/v1/audit",
            params={"student_key": KEY},
            headers=auth(token("audit:read", jurisdiction=("15",))),
        )
        other_child = await http.get(
            "/v1/audit",
            params={"student_key": OTHER_KEY},
            headers=auth(token("audit:read", jurisdiction=("15",))),
        )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "scope"
    assert [e["county_code"] for e in county.json()["items"]] == ["150602"]
    assert [e["county_code"] for e in province.json()["items"]] == ["150102", "150602"]
    assert [e["record_ids"] for e in by_child.json()["items"]] == [["c-1"]]
    assert by_child.json()["items"][0]["student_keys"] == [KEY]
    assert other_child.json()["items"] == []


async def test_the_list_is_cursor_paged_newest_first_and_the_export_is_ndjson(
    served: FastAPI, token: TokenFactory
) -> None:
    async with client_of(served) as http:
        for code in ("a", "b", "c"):
            await http.get(f"/v1/children/{code}", headers=auth(token("kids:read")))
        auditor = auth(token("audit:read"))
        first = (await http.get("/v1/audit", params={"limit": 2}, headers=auditor)).json()
        second = (
            await http.get(
                "/v1/audit", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auditor
            )
        ).json()
        export = await http.get("/v1/audit/export", params={"kind": "child"}, headers=auditor)
        unknown = await http.get("/v1/audit", params={"colour": "red"}, headers=auditor)
    assert [e["record_ids"] for e in first["items"] + second["items"]] == [["c"], ["b"], ["a"]]
    assert second["next_cursor"] is None
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [line["record_ids"] for line in lines] == [["a"], ["b"], ["c"]]
    assert unknown.status_code == 422


async def test_verify_chains_what_was_appended_and_names_an_altered_deleted_or_inserted_entry(
    served: FastAPI, token: TokenFactory
) -> None:
    async with client_of(served) as http:
        for code in ("a", "b", "c", "d"):
            await http.get(f"/v1/children/{code}", headers=auth(token("kids:read")))
        auditor = auth(token("audit:read"))
        intact = (await http.get("/v1/audit/verify", headers=auditor)).json()
        assert (intact["intact"], intact["chained"], intact["unchained"]) == (True, 4, 0)
        table = AuditEntry.__table__

        async def tamper(statement: Any) -> dict[str, Any]:
            async with served.state.sessionmaker() as session:
                await session.execute(statement)
                await session.commit()
            return dict((await http.get("/v1/audit/verify", headers=auditor)).json())

        chained = await entries(served)
        altered = await tamper(update(table).where(table.c.seq == 2).values(purpose="nothing"))
        assert (altered["intact"], altered["broken_seq"]) == (False, 2)
        await tamper(update(table).where(table.c.seq == 2).values(purpose="unspecified"))
        deleted = await tamper(delete(table).where(table.c.seq == 3))
        assert (deleted["intact"], deleted["broken_seq"]) == (False, 4)
        await tamper(insert(table).values(**chained[2]))  # restored as it was
        forged = {**chained[3], "id": 99, "seq": 5, "prev_hash": chained[3]["entry_hash"]}
        inserted = await tamper(insert(table).values(**{**forged, "entry_hash": "f" * 64}))
    assert (inserted["intact"], inserted["broken_seq"]) == (False, 5)


async def test_a_chain_holds_sha256_and_sm3_entries_each_hashed_with_its_own_algorithm(
    sessions: Any,
) -> None:
    async with sessions() as session:
        await KIT_AUDIT.append_many(session, [record("a")])
        await KIT_AUDIT.chain_batch(session)
        rows = [record("b").row("sm3"), record("c").row("sha256")]
        await session.execute(insert(AuditEntry.__table__), rows)
        assert await KIT_AUDIT.chain_batch(session) == 2
        status = await KIT_AUDIT.verify(session)
        algorithms = (await session.scalars(select(AuditEntry.algorithm))).all()
        await session.commit()
    assert (status.broken_seq, status.chained) == (None, 3)
    assert sorted(algorithms) == ["sha256", "sha256", "sm3"]


def record(code: str, **values: Any) -> AuditRecord:
    return AuditRecord(
        **{
            "client_id": "c",
            "purpose": "p",
            "action": "read",
            "kind": "child",
            "county_code": "150602",
            "status": 200,
            "request_id": f"r-{code}",
            "record_ids": [code],
            **values,
        }
    )


async def test_two_replicas_appending_at_once_make_one_unbroken_chain(
    fresh_database_url: str, jwks_json: str, token: TokenFactory
) -> None:
    """Each replica's writer appends its batches linked under the head's lock (FOR UPDATE on
    PostgreSQL, BEGIN IMMEDIATE on SQLite): the two take turns, the chain never forks."""
    first = child_app(fresh_database_url, jwks_json, audit_chain_seconds=0.05)
    second = child_app(fresh_database_url, jwks_json, audit_chain_seconds=0.05)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        for app in (first, second):
            app.state.auditor.background = True
            app.state.auditor.start()
        bearer = auth(token("kids:read"))
        async with client_of(first) as one, client_of(second) as two:
            answers = await asyncio.gather(
                *[
                    (one if i % 2 else two).get(f"/v1/children/k{i}", headers=bearer)
                    for i in range(60)
                ]
            )
            assert {a.status_code for a in answers} == {200}
            for _ in range(100):  # chained within a second or two
                status = (
                    await one.get("/v1/audit/verify", headers=auth(token("audit:read")))
                ).json()
                if status["chained"] == 60:
                    break
                await asyncio.sleep(0.05)
    assert (status["intact"], status["chained"], status["unchained"]) == (True, 60, 0)


def test_retention_below_six_months_and_audit_off_outside_dev_are_refused() -> None:
    with pytest.raises(ValidationError, match="网络安全法"):
        small_service_settings("kids", audit_retention_days=182)
    with pytest.raises(ValidationError, match="JUNHENG_AUDIT=off"):
        small_service_settings("kids", audit="off")
    assert small_service_settings("kids", audit_retention_days=183).audit_retention_days == 183
    assert small_service_settings("kids", audit="off", environment="dev").audit == "off"


async def test_audit_off_records_nothing(
    fresh_database_url: str, jwks_json: str, token: TokenFactory
) -> None:
    app = child_app(fresh_database_url, jwks_json, audit="off", environment="dev")
    async with app.router.lifespan_context(app), client_of(app) as http:
        assert (
            await http.get("/v1/children/a", headers=auth(token("kids:read")))
        ).status_code == 200
        assert await entries(app) == []


async def test_entries_past_the_retention_are_archived_to_ndjson_and_the_chain_resumes_there(
    fresh_database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(fresh_database_url)
    sessions = create_sessionmaker(engine)
    now = utcnow()
    async with sessions() as session:
        await KIT_AUDIT.append_many(
            session,
            [record(code, recorded_at=now - timedelta(days=200)) for code in ("old1", "old2")]
            + [record("new", recorded_at=now - timedelta(days=10))],
        )
        await KIT_AUDIT.chain_batch(session)
        await session.commit()
    async with sessions() as session:
        with pytest.raises(ValueError, match="183"):
            await archive_expired(
                KIT_AUDIT, session, retention_days=30, directory=tmp_path, service="kids"
            )
        segment = await archive_expired(
            KIT_AUDIT, session, retention_days=183, directory=tmp_path, service="kids"
        )
        await session.commit()
    assert segment is not None
    assert (segment.first_seq, segment.last_seq, segment.entries) == (1, 2, 2)
    archived = (tmp_path / segment.location).read_bytes().splitlines()
    assert [json.loads(line)["record_ids"] for line in archived] == [["old1"], ["old2"]]
    assert verify_segment(archived, prev_seq=0, prev_hash="0" * 64) is None
    async with sessions() as session:
        kept = (await session.scalars(select(AuditEntry.seq))).all()
        rows = (await session.scalars(select(AuditArchive))).all()
        status = await KIT_AUDIT.verify(session)
        again = await archive_expired(
            KIT_AUDIT, session, retention_days=183, directory=tmp_path, service="kids"
        )
    assert kept == [3]
    assert [(r.first_seq, r.last_seq, r.last_hash) for r in rows] == [(1, 2, segment.last_hash)]
    assert (status.broken_seq, status.chained, status.archived) == (None, 3, 2)
    assert again is None
    tampered = archived[0].replace(b"old1", b"oldX")
    assert verify_segment([tampered, archived[1]], prev_seq=0, prev_hash="0" * 64) == 1
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
    await engine.dispose()


async def test_off_the_answers_path_entries_are_committed_by_the_time_the_trail_is_read(
    fresh_database_url: str, jwks_json: str, token: TokenFactory
) -> None:
    """The default outside tests (JUNHENG_AUDIT_DURABLE=false): an answer does not wait for its
    entry's commit; the trail's readers wait for what their replica queued."""
    app = child_app(fresh_database_url, jwks_json, environment="dev")
    async with app.router.lifespan_context(app), client_of(app) as http:
        assert app.state.auditor.durable is False
        answers = await asyncio.gather(
            *[http.get(f"/v1/children/n{i}", headers=auth(token("kids:read"))) for i in range(20)]
        )
        assert {a.status_code for a in answers} == {200}
        listed = await http.get(
            "/v1/audit", params={"limit": 50}, headers=auth(token("audit:read"))
        )
        assert len(listed.json()["items"]) == 20
    assert len(await entries(app)) == 20
