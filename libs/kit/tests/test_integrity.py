"""Integrity errors as problems (issue 17: twenty simultaneous duplicate registrations on two
replicas answered twelve 500s): a unique or foreign-key violation is a 409, a broken check a 422,
a null where none belongs stays a 500 — on SQLite and PostgreSQL, at a flush and at the commit
before the response."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from junheng_kit.app import build_service_app
from junheng_kit.db import SessionDep, create_engine, create_sessionmaker, new_metadata
from junheng_kit.integrity import (
    Kind,
    on_violation,
    problem_for_concurrent_update,
    problem_for_integrity_error,
    violation_of,
)
from junheng_kit.problems import Conflict, FieldError, RuleViolated
from junheng_kit.testing.plugin import (
    Replicas,
    assert_race_settled,
    problem_errors,
    running_replicas,
    small_service_settings,
)

CODE_TAKEN = FieldError("code", "code_unique", "一个编号只登记一次 / a code is registered once")


class Base(DeclarativeBase):
    """Tables of these tests alone: no service's migration owns them, so the fixture creates
    them."""

    metadata = new_metadata()


class Shelf(Base):
    __tablename__ = "probe_shelf"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Note(Base):
    __tablename__ = "probe_note"
    __table_args__ = (
        UniqueConstraint("code", "year", info=on_violation(CODE_TAKEN, detail="编号已登记")),
        UniqueConstraint("label"),  # nobody declared what its violation answers
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(20))
    shelf_id: Mapped[int | None] = mapped_column(ForeignKey("probe_shelf.id"))
    copies: Mapped[int | None] = mapped_column(
        Integer, CheckConstraint("copies >= 0", name="copies_non_negative")
    )


class Counter(Base):
    __tablename__ = "probe_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


SHELF, NOTE = cast(Table, Shelf.__table__), cast(Table, Note.__table__)
COUNTER = cast(Table, Counter.__table__)


@pytest.fixture
async def sessions(fresh_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(fresh_database_url)
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: (SHELF.create(sync), NOTE.create(sync), COUNTER.create(sync))
        )
        await connection.execute(insert(COUNTER), [{"id": 1, "n": 0, "version": 1}])
        await connection.execute(insert(SHELF), [{"id": 1}])
        await connection.execute(
            insert(NOTE),
            [{"id": 1, "code": "A-1", "year": 2025, "label": "QX-label-7", "shelf_id": 1}],
        )
    yield create_sessionmaker(engine)
    await engine.dispose()


async def refused(sessions: async_sessionmaker[AsyncSession], statement: Any) -> IntegrityError:
    async with sessions() as session:
        with pytest.raises(IntegrityError) as raised:
            await session.execute(statement)
        await session.rollback()
    return raised.value


def note(**values: Any) -> Any:
    return insert(NOTE).values(
        {"id": 2, "code": "B-2", "year": 2025, "label": None, "shelf_id": 1, **values}
    )


class TestUniqueViolation:
    async def test_a_declared_constraint_answers_409_with_its_field_and_rule(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        error = await refused(sessions, note(code="A-1"))
        problem = problem_for_integrity_error(error)
        assert isinstance(problem, Conflict)
        assert problem.status == 409
        assert problem.errors == (CODE_TAKEN,)
        assert problem.detail == "编号已登记"

    async def test_the_database_names_the_table_and_columns_or_the_constraint(
        self, sessions: async_sessionmaker[AsyncSession], backend: str
    ) -> None:
        violation = violation_of(await refused(sessions, note(code="A-1")))
        assert violation is not None
        assert violation.kind == Kind.UNIQUE
        assert violation.table == "probe_note"
        assert violation.columns == ("code", "year")
        if backend == "postgresql":
            assert violation.constraint == "uq_probe_note_code_year"

    async def test_an_undeclared_constraint_answers_unique_violation_on_its_columns(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        problem = problem_for_integrity_error(await refused(sessions, note(label="QX-label-7")))
        assert isinstance(problem, Conflict)
        assert [(e.field, e.rule) for e in problem.errors] == [("label", "unique_violation")]

    async def test_a_primary_key_taken_twice_is_a_unique_violation_too(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        problem = problem_for_integrity_error(await refused(sessions, note(id=1)))
        assert isinstance(problem, Conflict)
        assert [(e.field, e.rule) for e in problem.errors] == [("id", "unique_violation")]

    async def test_the_answer_never_quotes_the_value(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        problem = problem_for_integrity_error(await refused(sessions, note(label="QX-label-7")))
        assert problem is not None
        texts = [problem.detail, *(e.message for e in problem.errors)]
        assert all("QX-label-7" not in text for text in texts)


class TestOtherViolations:
    async def test_a_reference_removed_meanwhile_is_a_409_reference_conflict(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        problem = problem_for_integrity_error(await refused(sessions, note(shelf_id=7)))
        assert isinstance(problem, Conflict)
        assert [e.rule for e in problem.errors] == ["reference_conflict"]

    async def test_removing_a_row_still_referred_to_is_a_409_reference_conflict(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        error = await refused(sessions, delete(SHELF).where(SHELF.c.id == 1))
        problem = problem_for_integrity_error(error)
        assert isinstance(problem, Conflict)
        assert [e.rule for e in problem.errors] == ["reference_conflict"]

    async def test_a_broken_check_is_a_422_named_after_the_check(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        problem = problem_for_integrity_error(await refused(sessions, note(copies=-1)))
        assert isinstance(problem, RuleViolated)
        assert problem.status == 422
        assert [e.rule for e in problem.errors] == ["copies_non_negative"]

    async def test_a_missing_value_is_no_problem_of_the_client_and_stays_a_500(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        error = await refused(sessions, note(code=None))
        assert violation_of(error) is not None
        assert problem_for_integrity_error(error) is None

    def test_an_error_that_is_no_integrity_error_is_none(self) -> None:
        assert problem_for_integrity_error(RuntimeError("UNIQUE constraint failed: a.b")) is None


class TestConcurrentUpdate:
    async def test_a_row_changed_since_it_was_read_is_a_409_version_current(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessions() as mine, sessions() as theirs:
            counter = await mine.get_one(Counter, 1)
            await mine.commit()  # read, and the transaction ended (as a pre-check's may have)
            (await theirs.get_one(Counter, 1)).n = 5
            await theirs.commit()
            counter.n = 7
            with pytest.raises(StaleDataError) as raised:
                await mine.flush()
            await mine.rollback()
        problem = problem_for_concurrent_update(raised.value)
        assert isinstance(problem, Conflict)
        assert [(e.field, e.rule) for e in problem.errors] == [
            ("header.if-match", "version_current")
        ]
        assert problem_for_concurrent_update(RuntimeError("stale")) is None

    @pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has one writer: no deadlock
    async def test_two_transactions_waiting_on_each_other_answer_409_retry(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessions() as session:
            await session.execute(insert(COUNTER), [{"id": 2, "n": 0, "version": 1}])
            await session.commit()

        async def lock(session: AsyncSession, first: int, then: int) -> None:
            await session.execute(update(COUNTER).where(COUNTER.c.id == first).values(n=first))
            await asyncio.sleep(0.2)  # both hold their first row now
            await session.execute(update(COUNTER).where(COUNTER.c.id == then).values(n=then))

        async with sessions() as mine, sessions() as theirs:
            outcomes = await asyncio.gather(
                lock(mine, 1, 2), lock(theirs, 2, 1), return_exceptions=True
            )
            await mine.rollback()
            await theirs.rollback()
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(failed) == 1  # PostgreSQL rolled one back, the other went on
        problem = problem_for_concurrent_update(failed[0])
        assert isinstance(problem, Conflict)
        assert problem.headers == {"Retry-After": "1"}
        assert [(e.field, e.rule) for e in problem.errors] == [("body", "concurrent_transaction")]
        assert problem_for_integrity_error(failed[0]) is None


class NoteIn(BaseModel):
    id: int
    code: str
    year: int = 2025
    copies: int = 1


def notes_app(database_url: str) -> FastAPI:
    """Writes with no pre-check at all: every duplicate reaches the database."""
    router = APIRouter()

    @router.post("/v1/notes", status_code=201)
    async def flushed(body: NoteIn, session: SessionDep) -> dict[str, int]:
        await session.execute(insert(NOTE).values(body.model_dump()))  # refused here
        return {"id": body.id}

    @router.post("/v1/notes-at-commit", status_code=201)
    async def at_commit(body: NoteIn, session: SessionDep) -> dict[str, int]:
        session.add(Note(**body.model_dump()))  # flushed, and refused, by the commit
        return {"id": body.id}

    @router.post("/v1/notes-without-code", status_code=201)
    async def without_code(body: NoteIn, session: SessionDep) -> dict[str, int]:
        await session.execute(insert(NOTE).values(id=body.id, code=None, year=body.year))
        return {"id": body.id}

    settings = small_service_settings("notes", database_url)
    return build_service_app(settings, title="notes", description="", routers=[router])


@pytest.fixture
async def replicas(
    sessions: async_sessionmaker[AsyncSession], fresh_database_url: str
) -> AsyncIterator[Replicas]:
    async with running_replicas([notes_app(fresh_database_url) for _ in range(2)]) as running:
        yield running


class TestOverHttp:
    async def test_a_duplicate_refused_at_the_flush_is_a_409_problem(
        self, replicas: Replicas
    ) -> None:
        response = await replicas.client.post("/v1/notes", json={"id": 5, "code": "A-1"})
        assert response.status_code == 409
        assert problem_errors(response) == [("code", "code_unique")]
        assert response.json()["detail"] == "编号已登记"

    async def test_a_duplicate_refused_at_the_commit_is_a_409_not_a_201(
        self, replicas: Replicas
    ) -> None:
        response = await replicas.client.post("/v1/notes-at-commit", json={"id": 5, "code": "A-1"})
        assert response.status_code == 409
        assert problem_errors(response) == [("code", "code_unique")]
        assert await replicas.count(NOTE, NOTE.c.id == 5) == 0

    async def test_a_broken_check_at_the_commit_is_a_422(self, replicas: Replicas) -> None:
        response = await replicas.client.post(
            "/v1/notes-at-commit", json={"id": 5, "code": "C-3", "copies": -2}
        )
        assert response.status_code == 422
        assert problem_errors(response) == [("body", "copies_non_negative")]

    async def test_a_null_the_code_let_through_is_a_500_problem(self, replicas: Replicas) -> None:
        response = await replicas.client.post("/v1/notes-without-code", json={"id": 5, "code": "x"})
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("path", ["/v1/notes", "/v1/notes-at-commit"])
    async def test_twenty_duplicates_on_two_replicas_store_one_and_refuse_nineteen(
        self, replicas: Replicas, path: str
    ) -> None:
        # distinct ids, one code: only the (code, year) constraint can refuse them
        answers = await asyncio.gather(
            *(replicas.clients[i % 2].post(path, json={"id": 100 + i, "code": "R-1"})
              for i in range(20))
        )  # fmt: skip
        assert_race_settled(answers, ("code", "code_unique"))
        assert await replicas.count(NOTE, NOTE.c.code == "R-1") == 1
        assert await replicas.count(NOTE) == 2  # the set-up note and the winner
