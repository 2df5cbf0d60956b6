"""Group commit owned by the kit, with Idempotency-Keys claimed in the batch's own transaction
(junheng_kit.group_commit, idempotency.claim_within/settle_within). Two app instances on one
database stand for two replicas; SQLite and PostgreSQL."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from junheng_kit.app import build_service_app
from junheng_kit.bridge import call_asgi
from junheng_kit.db import create_engine
from junheng_kit.group_commit import GroupCommit, Settled
from junheng_kit.idempotency import CLAIM_STATE, TABLE, Claim, fingerprint
from junheng_kit.problems import Conflict, DomainError, FieldError
from junheng_kit.testing.plugin import TokenFactory, small_service_settings
from junheng_kit.timeutil import utcnow


class NoteIn(BaseModel):
    text: str = Field(max_length=100)


@dataclass
class Item:
    note: NoteIn
    claim: Claim | None


@dataclass
class Notes:
    """A use-case recording notes in batches: a note whose text is taken is refused (409);
    `during` runs inside the batch's transaction, before its writes (a test's interference)."""

    runs: list[int] = field(default_factory=list)  # the size of every batch the use-case ran
    during: Callable[[], Awaitable[None]] | None = None

    async def record(
        self, session: AsyncSession, items: Sequence[Item]
    ) -> list[dict[str, Any] | DomainError]:
        self.runs.append(len(items))
        if self.during is not None:
            await self.during()
        taken = set((await session.execute(text("SELECT text FROM note"))).scalars())
        outcomes: list[dict[str, Any] | DomainError] = []
        for item in items:
            if item.note.text in taken:
                outcomes.append(Conflict("taken", FieldError("text", "note_taken")))
                continue
            taken.add(item.note.text)
            await session.execute(
                text("INSERT INTO note (text) VALUES (:t)"), {"t": item.note.text}
            )
            outcomes.append({"text": item.note.text})
        return outcomes

    def app(self, database_url: str, jwks: str, **settings: Any) -> FastAPI:
        router = APIRouter()

        def notes(state: Any) -> GroupCommit[Item, dict[str, Any]]:
            if not hasattr(state, "notes"):
                state.notes = GroupCommit(
                    state,
                    self.record,
                    claim_of=lambda item: item.claim,
                    answer=lambda note: (
                        201,
                        {"content-type": "application/json", "location": "/v1/notes/x"},
                        json.dumps(note).encode(),
                    ),
                    name="notes",
                )
            return state.notes  # type: ignore[no-any-return]

        @router.post("/v1/notes", status_code=201)
        async def add_note(body: NoteIn, request: Request) -> Response:
            claim = request.scope.get("state", {}).get(CLAIM_STATE)
            outcome = await notes(request.app.state).submit(Item(body, claim))
            if isinstance(outcome, DomainError):
                raise outcome
            if isinstance(outcome, Settled):
                return outcome.response()
            if claim is not None and claim.answer is not None:
                status, headers, content = claim.answer
                return Response(content, status_code=status, headers=headers)
            return Response(json.dumps(outcome), status_code=201)

        return build_service_app(
            small_service_settings("notes", database_url, jwks_json=jwks, **settings),
            title="notes",
            description="",
            routers=[router],
            claims_within={("POST", "/v1/notes")},
        )


@pytest.fixture
async def replicas(database: str, jwks_json: str) -> AsyncIterator[tuple[FastAPI, FastAPI, Notes]]:
    notes = Notes()
    first, second = notes.app(database, jwks_json), notes.app(database, jwks_json)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        yield first, second, notes


RecordOf = Callable[[str], Awaitable[Any]]  # conftest's claim_record


async def post(
    app: FastAPI, token: str, key: str | None, body: dict[str, Any] | str
) -> tuple[int, dict[str, str], Any]:
    headers = [("authorization", f"Bearer {token}"), ("content-type", "application/json")]
    if key is not None:
        headers.append(("idempotency-key", key))
    status, answer_headers, content = await call_asgi(
        app,
        method="POST",
        path="/v1/notes",
        query="",
        headers=headers,
        body=(body if isinstance(body, str) else json.dumps(body)).encode(),
    )
    return status, dict(answer_headers), json.loads(content) if content else None


async def scalar(database: str, sql: str, **params: Any) -> Any:
    engine = create_engine(database)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql), params)).one_or_none()
    finally:
        await engine.dispose()


async def store_claim(engine: AsyncEngine, key: str, request_body: str, **values: Any) -> None:
    """Write the claim row of (test-client, `key`) for `request_body` as another process left it:
    pending by default."""
    row = {
        "client_id": "test-client",
        "key": key,
        "method": "POST",
        "path": "/v1/notes",
        "fingerprint": fingerprint("POST", "/v1/notes", b"", request_body.encode()),
        "state": "pending",
        "owner": None,
        "expires_at": None,
        "status": 0,
        "headers": {},
        "body": b"",
        "created_at": utcnow(),
        **values,
    }
    async with engine.begin() as connection:
        await connection.execute(delete(TABLE).where(TABLE.c.key == key))
        await connection.execute(insert(TABLE), row)


async def notes_stored(database: str) -> int:
    return int((await scalar(database, "SELECT count(*) FROM note"))[0])


async def test_keyed_items_share_a_transaction_and_their_answers_commit_with_them(
    replicas: tuple[FastAPI, FastAPI, Notes],
    database: str,
    token: TokenFactory,
    claim_record: RecordOf,
) -> None:
    first, _, notes = replicas
    bearer = token("notes:write")
    answers = await asyncio.gather(
        *(post(first, bearer, f"k-{n}", {"text": f"note {n}"}) for n in range(30))
    )
    assert [a[0] for a in answers] == [201] * 30
    assert [a[2]["text"] for a in answers] == [f"note {n}" for n in range(30)]
    assert sum(notes.runs) == 30
    assert len(notes.runs) < 30  # batches, not one by one
    assert await notes_stored(database) == 30
    for n in (0, 29):  # each key's answer is stored done, with no owner left
        assert tuple(await claim_record(f"k-{n}")) == ("done", None, 201)
    replayed = await post(first, bearer, "k-7", {"text": "note 7"})
    assert (replayed[0], replayed[2], replayed[1]["idempotent-replayed"]) == (
        201,
        {"text": "note 7"},
        "true",
    )
    assert replayed[1]["location"] == "/v1/notes/x"
    assert sum(notes.runs) == 30  # the replay ran nothing


async def test_same_key_pairs_on_two_replicas_have_one_effect(
    replicas: tuple[FastAPI, FastAPI, Notes], database: str, token: TokenFactory
) -> None:
    first, second, _ = replicas
    bearer = token("notes:write")
    answers = []
    for n in range(20):
        body = {"text": f"pair {n}"}
        answers += await asyncio.gather(
            post(first, bearer, f"pair-{n}", body), post(second, bearer, f"pair-{n}", body)
        )
    assert await notes_stored(database) == 20  # one effect per key, never two
    for status, headers, body in answers:
        if status == 201:  # the first, or the first's answer replayed
            assert body == {"text": body["text"]}
        else:  # the second arrived while the first ran
            assert (status, body["errors"][0]["rule"]) == (409, "idempotency_in_progress")
            assert headers["retry-after"] == "1"
    fresh = [a for a in answers if a[0] == 201 and "idempotent-replayed" not in a[1]]
    assert len(fresh) == 20
    for n in range(20):  # a retry now gets the first answer, on either replica
        for app in (first, second):
            status, headers, body = await post(app, bearer, f"pair-{n}", {"text": f"pair {n}"})
            assert (status, body, headers["idempotent-replayed"]) == (
                201,
                {"text": f"pair {n}"},
                "true",
            )
    assert await notes_stored(database) == 20


async def test_a_refusal_and_a_body_refused_before_the_use_case_are_the_keys_answers(
    replicas: tuple[FastAPI, FastAPI, Notes],
    database: str,
    token: TokenFactory,
    claim_record: RecordOf,
) -> None:
    first, second, notes = replicas
    bearer = token("notes:write")
    assert (await post(first, bearer, None, {"text": "taken"}))[0] == 201
    refused = await post(first, bearer, "refused", {"text": "taken"})
    assert (refused[0], refused[2]["errors"][0]["rule"]) == (409, "note_taken")
    assert tuple(await claim_record("refused")) == ("done", None, 409)
    engine = create_engine(database)
    async with engine.begin() as connection:  # the text is free again: the key still answers
        await connection.execute(text("DELETE FROM note"))
    await engine.dispose()
    again = await post(second, bearer, "refused", {"text": "taken"})
    assert (again[0], again[1]["idempotent-replayed"]) == (409, "true")
    assert await notes_stored(database) == 0
    runs = sum(notes.runs)
    too_long = {"text": "x" * 101}  # refused by the schema: the use-case never ran
    invalid = await post(first, bearer, "invalid", too_long)
    assert invalid[0] == 422
    assert tuple(await claim_record("invalid")) == ("done", None, 422)
    replayed = await post(second, bearer, "invalid", too_long)
    assert (replayed[0], replayed[1]["idempotent-replayed"]) == (422, "true")
    reused = await post(second, bearer, "invalid", {"text": "short"})
    assert (reused[0], reused[2]["errors"][0]["rule"]) == (422, "idempotency_key_reused")
    assert sum(notes.runs) == runs


async def test_a_key_used_with_another_body_is_refused_without_running(
    replicas: tuple[FastAPI, FastAPI, Notes], database: str, token: TokenFactory
) -> None:
    first, second, notes = replicas
    bearer = token("notes:write")
    assert (await post(first, bearer, "once", {"text": "one"}))[0] == 201
    reused = await post(second, bearer, "once", {"text": "two"})
    assert (reused[0], reused[2]["errors"][0]["rule"]) == (422, "idempotency_key_reused")
    assert sum(notes.runs) == 1
    assert await notes_stored(database) == 1


async def test_a_claim_left_by_a_crashed_owner_is_taken_over_in_the_batch(
    replicas: tuple[FastAPI, FastAPI, Notes],
    database: str,
    token: TokenFactory,
    claim_record: RecordOf,
) -> None:
    first, _, notes = replicas
    bearer = token("notes:write")
    body = json.dumps({"text": "after a crash"})
    engine = create_engine(database)

    async def crashed(expires: timedelta) -> None:  # what a process killed mid-request leaves
        await store_claim(
            engine, "crashed", body, owner="dead-owner", expires_at=utcnow() + expires
        )

    await crashed(timedelta(seconds=30))
    waiting = await post(first, bearer, "crashed", body)
    assert (waiting[0], waiting[1]["retry-after"]) == (409, "1")  # the lease still runs
    assert notes.runs == []
    await crashed(timedelta(seconds=-1))
    taken = await post(first, bearer, "crashed", body)
    assert (taken[0], taken[2]) == (201, {"text": "after a crash"})
    assert tuple(await claim_record("crashed")) == ("done", None, 201)
    assert (await post(first, bearer, "crashed", body))[1]["idempotent-replayed"] == "true"
    await engine.dispose()
    assert await notes_stored(database) == 1


# PostgreSQL only: on SQLite a batch holds the only write lock from BEGIN IMMEDIATE on, so no
# other writer can come between its read of the claims and its insert
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_key_claimed_by_another_writer_during_the_batch_rolls_it_back_and_retries_alone(
    replicas: tuple[FastAPI, FastAPI, Notes], database: str, token: TokenFactory
) -> None:
    """Between the batch's read of the claims and its insert, another replica records one of
    its keys: the batch must not commit that key's effect; the others are recorded alone."""
    first, _, notes = replicas
    bearer = token("notes:write")
    body = {"text": "contested"}
    other = create_engine(database)

    async def another_replica_answers() -> None:
        notes.during = None
        await store_claim(
            other,
            "contested",
            json.dumps(body),
            state="done",
            status=201,
            headers={"content-type": "application/json"},
            body=b'{"text": "from the other replica"}',
        )

    notes.during = another_replica_answers
    answers = await asyncio.gather(
        post(first, bearer, "contested", body),
        *(post(first, bearer, f"bystander-{n}", {"text": f"bystander {n}"}) for n in range(5)),
    )
    await other.dispose()
    contested, bystanders = answers[0], answers[1:]
    assert (contested[0], contested[2]) == (201, {"text": "from the other replica"})
    assert contested[1]["idempotent-replayed"] == "true"
    assert [b[0] for b in bystanders] == [201] * 5
    assert await notes_stored(database) == 5  # the contested note was rolled back
    assert (await scalar(database, "SELECT count(*) FROM note WHERE text = 'contested'"))[0] == 0
