"""The roster's, the agency lists' and the review items' citizen IDs and names stored encrypted
(issue 20 item 3), on SQLite and PostgreSQL: a row holds no plaintext, lookups and uniqueness
go through the blind indexes, the 应助尽助 scan finds the same matches (joined on the indexes,
decrypting only the entries of its review items), under both crypto profiles, and `python -m
assistance reencrypt` rewrites every column and recomputes the indexes after a rotation."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import polars as pl
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from pydantic import SecretStr
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.repository import AgencyRepository
from assistance.app import create_app
from assistance.db import Base
from assistance.identification import rules
from assistance.identification.repository import IdentificationRepository
from assistance.settings import AssistanceSettings
from assistance.students.models import (
    Student,
    citizen_id_index,
    name_born_index,
    student_number_index,
)
from assistance.students.repository import StudentRepository
from junheng_kit import fieldcrypt
from junheng_kit.cli import reencrypt
from junheng_kit.testing.plugin import (
    TokenFactory,
    auth,
    running_replicas,
    service_settings,
    use_crypto_profile,
)
from junheng_kit.tokens import TokenSigner

from .conftest import (
    ABDU,
    JOB,
    LI,
    PRIMARY,
    QIAN,
    SUN,
    SUN_ELSEWHERE,
    WANG,
    ZHAO,
    run_job,
    seed_county_in,
    writer,
)

pytestmark = pytest.mark.usefixtures("schools")

NAMES = ("王芳", "李强", "孙悦", "阿卜杜·热合曼")
ZHAO_J = "J150602201601010052"  # a J 学籍号 (test_roster_student_numbers)
ID_WITH_X = "11010519491231002X"  # the check character X (GB 11643 example)
# what the job of test_identification_jobs finds in conftest's county (but the award writes)
FOUND = {
    "students": 6,
    "list_entries": 5,
    "auto_identified": 2,
    "name_mismatches": 1,
    "id_mismatches": 1,
    "review_items": 2,
}


async def raw(session: AsyncSession, sql: str, **params: Any) -> list[Any]:
    """Rows as stored (no column type: the ciphertexts)."""
    return list((await session.execute(text(sql), params)).all())


def sealed(value: str, algorithm: str = "aes256gcm") -> bool:
    return value.startswith(f"enc:1:{algorithm}:")


class TestStoredEncrypted:
    async def test_roster_rows_hold_no_plaintext_and_answers_are_unchanged(
        self, client: AsyncClient, session: AsyncSession, token: TokenFactory
    ) -> None:
        number = f"G{WANG}"
        created = await client.post(
            "/v1/students",
            json={
                "citizen_id": WANG,
                "student_number": number,
                "name": "王芳",
                "school_code": PRIMARY,
                "level": "primary",
                "grade": 5,
            },
            headers=writer(token),
        )
        assert created.status_code == 201, created.text
        (row,) = await raw(
            session,
            "SELECT citizen_id, citizen_id_index, student_number, student_number_index, name,"
            " name_born_index FROM student",
        )
        assert sealed(row.citizen_id)
        assert WANG not in row.citizen_id
        assert sealed(row.student_number)
        assert WANG not in row.student_number
        assert sealed(row.name)
        assert "王芳" not in row.name
        assert row.citizen_id_index == citizen_id_index(WANG)
        assert row.student_number_index == student_number_index(number)
        assert row.name_born_index == name_born_index("王 芳", WANG)  # as the rules compare
        assert row.name_born_index != name_born_index("王芳", SUN)  # another birth date
        read = await client.get(f"/v1/students/{created.json()['id']}", headers=writer(token))
        assert read.status_code == 200, read.text
        assert (read.json()["citizen_id"], read.json()["name"]) == (WANG, "王芳")
        assert read.json()["student_number"] == number

    async def test_list_entries_and_review_items_hold_no_plaintext(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        job = await run_job(client, app, token)
        assert {k: job["counts"][k] for k in FOUND} == FOUND
        entries = await raw(
            session, "SELECT citizen_id, citizen_id_index, name, name_born_index FROM "
            "category_list_entry",
        )  # fmt: skip
        assert len(entries) == 5
        assert all(sealed(e.citizen_id) and sealed(e.name) for e in entries)
        assert not {WANG, LI, ZHAO, ABDU, SUN_ELSEWHERE} & {e.citizen_id for e in entries}
        assert citizen_id_index(LI) in {e.citizen_id_index for e in entries}
        assert name_born_index("阿卜杜·热合曼", ABDU) in {e.name_born_index for e in entries}
        items = await raw(session, "SELECT list_citizen_id, list_name FROM review_item")
        assert len(items) == 2
        assert all(sealed(i.list_citizen_id) and sealed(i.list_name) for i in items)
        assert "李刚" not in {i.list_name for i in items}
        # decrypted for the reviewer, what the list says
        queue = await client.get("/v1/review-items", headers=writer(token))
        assert queue.status_code == 200, queue.text
        assert sorted((i["list_name"], i["list_citizen_id"]) for i in queue.json()["items"]) == [
            ("孙悦", SUN_ELSEWHERE),
            ("李刚", LI),
        ]

    async def test_a_value_moved_to_another_column_does_not_open(
        self, client: AsyncClient, session: AsyncSession, county: dict[str, UUID]
    ) -> None:
        (row,) = await raw(
            session,
            "SELECT name FROM student WHERE citizen_id_index = :index",
            index=citizen_id_index(WANG),
        )
        with pytest.raises(fieldcrypt.FieldUnreadable, match="altered or moved"):
            fieldcrypt.decrypt(row.name, "assistance.category_list_entry.name")
        assert fieldcrypt.decrypt(row.name, "assistance.student.name") == "王芳"


class TestLookups:
    async def test_an_id_is_found_by_its_index_however_written(
        self, client: AsyncClient, session: AsyncSession, county: dict[str, UUID]
    ) -> None:
        assert citizen_id_index(f" {ID_WITH_X.lower()} ") == citizen_id_index(ID_WITH_X)
        found = await AgencyRepository(session).student_by_citizen_id(f" {WANG} ")
        assert found is not None
        assert found.id == county["王芳"]
        assert await AgencyRepository(session).student_by_citizen_id(ID_WITH_X) is None
        existing = await StudentRepository(session).existing([WANG, LI, ID_WITH_X])
        assert sorted(existing) == sorted([WANG, LI])
        assert existing[LI].id == county["李强"]

    async def test_the_database_keeps_an_id_unique_through_its_index(
        self, client: AsyncClient, session: AsyncSession, county: dict[str, UUID]
    ) -> None:
        """The check is in the service; a row written past it (a concurrent request) meets
        the unique blind index, the ID written otherwise included."""
        row = {
            "citizen_id": f"{WANG.lower()} ",
            "student_key": "f" * 32,
            "name": "王芳",
            "gender": "female",
            "birth_date": date(2015, 3, 1),
            "county_code": "150602",
            "school_code": PRIMARY,
            "level": "primary",
            "grade": 5,
        }
        with pytest.raises(IntegrityError, match="citizen_id_index"):
            async with session.begin_nested():
                await session.execute(insert(Student), [row])

    async def test_a_student_number_is_found_and_kept_unique_by_its_index(
        self, client: AsyncClient, session: AsyncSession, token: TokenFactory
    ) -> None:
        first = {"citizen_id": ZHAO, "name": "赵敏", "school_code": PRIMARY, "level": "primary",
                 "grade": 3, "student_number": ZHAO_J}  # fmt: skip
        created = await client.post("/v1/students", json=first, headers=writer(token))
        assert created.status_code == 201, created.text
        holders = await StudentRepository(session).holders([ZHAO_J.lower(), f"G{WANG}"])
        assert holders == {ZHAO_J.lower(): ZHAO}  # the number found however written
        again = await client.post(
            "/v1/students",
            json={**first, "citizen_id": WANG, "name": "王芳", "grade": 5},
            headers=writer(token),
        )
        assert again.status_code == 409, again.text
        assert again.json()["errors"][0]["rule"] == "student_number_unique"


class TestScanOnKeys:
    def test_a_stored_name_key_normalises_as_the_rules_do(self) -> None:
        names = [
            "阿卜杜·热合曼",
            "阿卜杜•热合曼",
            "阿卜杜・热合曼",
            "阿卜杜.热合曼",
            "赵 敏",
            "ＬＩ",
        ]
        frame = pl.DataFrame({"name": names})
        assert frame.select(rules.name_key("name"))["name"].to_list() == [
            rules.normalised_name(n) for n in names
        ]

    async def test_the_scan_reads_keys_only_and_matches_as_on_plaintext(
        self,
        client: AsyncClient,
        app: FastAPI,
        session: AsyncSession,
        token: TokenFactory,
        county: dict[str, UUID],
    ) -> None:
        """The frames the job loads hold the blind indexes, no ID and no name; matching them
        finds what matching the same people in the clear (`rules.plain_keys`) finds."""
        repository = IdentificationRepository(session)
        roster = await repository.roster("150602")
        entries = await repository.entries(await repository.current_lists("150602"))
        text_of_frames = f"{roster.rows()}{entries.rows()}"
        assert not any(s in text_of_frames for s in (WANG, LI, SUN, "王芳", "孙悦", "李刚"))
        assert set(roster["citizen_key"]) == {
            citizen_id_index(c) for c in (WANG, LI, ZHAO, SUN, ABDU, QIAN)
        }
        on = date(2026, 9, 1)
        keyed = rules.match(roster, entries, on=on)
        plain_roster = rules.plain_keys(
            pl.DataFrame(
                {
                    "student_id": [
                        str(county[n]) for n in ("王芳", "李强", "孙悦", "阿卜杜·热合曼")
                    ],
                    "citizen_id": [WANG, LI, SUN, ABDU],
                    "name": ["王芳", "李强", "孙悦", "阿卜杜·热合曼"],
                    "school_code": ["x"] * 4,
                }
            )
        )
        listed = await AgencyRepository(session).entry_identities(entries["entry_id"].to_list())
        plain_entries = rules.plain_keys(
            entries.with_columns(
                pl.col("entry_id")
                .replace_strict({k: v[0] for k, v in listed.items()}, return_dtype=pl.String)
                .alias("citizen_id"),
                pl.col("entry_id")
                .replace_strict({k: v[1] for k, v in listed.items()}, return_dtype=pl.String)
                .alias("name"),
            ).drop("citizen_key", "person_key")
        )
        plain = rules.match(plain_roster, plain_entries, on=on)
        for kind in ("exact", "name_mismatch", "id_mismatch"):
            columns = ["student_id", "assertion_id"]
            assert sorted(getattr(keyed, kind).select(columns).rows()) == sorted(
                getattr(plain, kind).select(columns).rows()
            ), kind
        assert keyed.exact.height == 2
        assert keyed.id_mismatch.height == 1


@pytest.mark.parametrize("profile", ["international", "guomi"])
async def test_the_job_finds_the_same_under_either_profile(
    fresh_database_url: str, profile: str
) -> None:
    """SM4-GCM values and HMAC-SM3 indexes under 国密; the job's findings the same."""
    with use_crypto_profile(profile):
        signer = TokenSigner.generate(issuer="junheng-gateway", audience="junheng")
        headers = auth(
            signer.issue(
                subject="test-client",
                scopes=["assistance:read", "assistance:write", "assistance:pii"],
                jurisdiction=["150602"],
            )
        )
        settings = service_settings(
            AssistanceSettings,
            database_url=fresh_database_url,
            jwks_json=json.dumps(signer.jwks()),
            nats_url=None,
        )
        app = create_app(settings)
        async with running_replicas([app]) as replicas:
            await seed_county_in(app, replicas.client, headers)
            started = await replicas.client.post(
                "/v1/identification-jobs", json=JOB, headers=headers
            )
            assert started.status_code == 202, started.text
            job_id = UUID(started.json()["id"])
            await app.state.identification_jobs.wait(job_id)
            done = await replicas.client.get(f"/v1/identification-jobs/{job_id}", headers=headers)
            assert done.json()["status"] == "succeeded", done.text
            assert {k: done.json()["counts"][k] for k in FOUND} == FOUND
            algorithm = "sm4gcm" if profile == "guomi" else "aes256gcm"
            async with app.state.sessionmaker() as session:
                students = await raw(session, "SELECT citizen_id, name FROM student")
                entries = await raw(session, "SELECT citizen_id, name FROM category_list_entry")
                items = await raw(session, "SELECT list_citizen_id, list_name FROM review_item")
                index = await session.scalar(
                    text("SELECT citizen_id_index FROM student WHERE name_born_index = :key"),
                    {"key": name_born_index("王芳", WANG)},
                )
            values = [v for row in [*students, *entries, *items] for v in row]
            assert len(values) == 2 * (6 + 5 + 2)
            assert all(sealed(v, algorithm) for v in values)
            assert index == citizen_id_index(WANG)  # this profile's MAC


async def test_reencrypt_rewrites_every_column_and_recomputes_the_indexes(
    fresh_database_url: str, jwks_json: str, token: TokenFactory
) -> None:
    """`python -m assistance reencrypt` after a rotation: the roster's, the lists' and the
    review items' values under the key put first, counted per table; a second run finds nothing;
    the job afterwards finds what it found."""
    old, index_key = fieldcrypt.new_key("k1"), fieldcrypt.new_index_key()
    common = {"jwks_json": jwks_json, "nats_url": None, "database_url": fresh_database_url}
    app = create_app(
        service_settings(
            AssistanceSettings,
            field_keys=SecretStr(old),
            blind_index_key=SecretStr(index_key),
            **common,
        )
    )
    async with running_replicas([app]) as replicas:
        await seed_county_in(app, replicas.client, writer(token))
        started = await replicas.client.post(
            "/v1/identification-jobs", json=JOB, headers=writer(token)
        )
        assert started.status_code == 202, started.text
        await app.state.identification_jobs.wait(UUID(started.json()["id"]))
    rotated = service_settings(
        AssistanceSettings,
        field_keys=SecretStr(f"{fieldcrypt.new_key('k2')},{old}"),
        blind_index_key=SecretStr(index_key),
        **common,
    )
    first = await reencrypt(rotated, Base.metadata)
    assert {k: v for k, v in first.items() if k in TABLES} == {
        "student": 6,
        "student blind indexes": 0,  # the index key did not change
        "category_list_entry": 5,
        "category_list_entry blind indexes": 0,
        "review_item": 2,
    }
    again = await reencrypt(rotated, Base.metadata)
    assert {k: again[k] for k in TABLES} == dict.fromkeys(TABLES, 0)
    app = create_app(rotated)
    async with running_replicas([app]) as replicas:
        async with app.state.sessionmaker() as session:
            values = [
                v
                for sql in (
                    "SELECT citizen_id, name FROM student",
                    "SELECT citizen_id, name FROM category_list_entry",
                    "SELECT list_citizen_id, list_name FROM review_item",
                )
                for row in await raw(session, sql)
                for v in row
            ]
        assert values
        assert all(v.startswith("enc:1:aes256gcm:k2:") for v in values)
        started = await replicas.client.post(
            "/v1/identification-jobs",
            json={**JOB, "as_of": "2026-09-02"},
            headers=writer(token),
        )
        assert started.status_code == 202, started.text
        job_id = UUID(started.json()["id"])
        await app.state.identification_jobs.wait(job_id)
        done = await replicas.client.get(f"/v1/identification-jobs/{job_id}", headers=writer(token))
        counts = done.json()["counts"]
        assert {k: counts[k] for k in FOUND if k != "review_items"} == {
            k: v for k, v in FOUND.items() if k != "review_items"
        }
        assert counts["review_items"] == 0  # already queued by the first job


async def test_a_new_index_key_is_recomputed_by_reencrypt(
    fresh_database_url: str, jwks_json: str, token: TokenFactory
) -> None:
    """A profile switch changes every index (another MAC); so does a new index key: reencrypt
    recomputes them from the values, and lookups find the rows again."""
    keys, old_index = fieldcrypt.dev_field_keys()
    common = {"jwks_json": jwks_json, "nats_url": None, "database_url": fresh_database_url}
    app = create_app(service_settings(AssistanceSettings, **common))
    async with running_replicas([app]) as replicas:
        await seed_county_in(app, replicas.client, writer(token))
    new_index = fieldcrypt.new_index_key()
    rotated = service_settings(
        AssistanceSettings,
        field_keys=SecretStr(keys),
        blind_index_key=SecretStr(new_index),
        **common,
    )
    try:
        done = await reencrypt(rotated, Base.metadata)
        assert done["student blind indexes"] == 6
        assert done["category_list_entry blind indexes"] == 5
        assert done["student"] == 0
        async with app.state.sessionmaker() as session:
            found = await AgencyRepository(session).student_by_citizen_id(WANG)
            assert found is not None
            assert found.name == "王芳"
            (row,) = await raw(
                session,
                "SELECT name_born_index FROM student WHERE citizen_id_index = :index",
                index=citizen_id_index(WANG),
            )
            assert row.name_born_index == name_born_index("王芳", WANG)
    finally:
        fieldcrypt.configure(keys, old_index)


TABLES = (
    "student",
    "student blind indexes",
    "category_list_entry",
    "category_list_entry blind indexes",
    "review_item",
)
