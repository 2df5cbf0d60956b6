"""Assistance's migration of issue 20 item 3 (a0013): the roster's, the agency lists' and the
review items' citizen IDs and names stored before are encrypted with ASSISTANCE_FIELD_KEYS, their
blind indexes (ASSISTANCE_BLIND_INDEX_KEY) filled and carrying the uniqueness; the models read
the rows back the same; the downgrade gives the plaintext back."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from junheng_kit import fieldcrypt
from junheng_kit.migrations import alembic_config, upgrade
from junheng_kit.migrations import service_dir as installed_service_dir
from junheng_kit.processes import PostgresCluster
from junheng_kit.testing.sql import run_sql

from .test_migrations import _sqlite_url

WANG, WANG_NUMBER, LI, SUN = (
    "150602201503010029",
    "G150602201503010029",
    "15060220120712001X",
    "150621201409010068",
)
STUDENT = (
    "INSERT INTO student (id, citizen_id, student_key, student_number, name, gender, birth_date, "
    "county_code, school_code, level, grade, boarding, status, source, version, created_at, "
    "updated_at) VALUES ('{}', '{}', '{}', {}, '{}', 'female', '2015-03-01', '150602', "
    "'2115060201', 'primary', 5, FALSE, 'enrolled', 'import', 1, '2025-05-01 00:00:00', "
    "'2025-05-01 00:00:00')"
)
LIST = "0123456789abcdef0123456789abcdef"
JOB = "1123456789abcdef0123456789abcdef"


def _seed(url: str) -> None:
    """At a0012: two pupils (one with a 学籍号), a list of two entries, a review item."""
    run_sql(url, STUDENT.format("a" * 32, WANG, "k1", f"'{WANG_NUMBER}'", "王芳"))
    run_sql(url, STUDENT.format("b" * 32, LI, "k2", "NULL", "李 强"))
    run_sql(
        url,
        "INSERT INTO category_list (id, agency, region_code, list_id, as_of, entry_count, "  # noqa: S608
        f"entries_sha256, key_id, signature, fetched_at, ledger_seq) VALUES ('{LIST}', 'mca', "
        "'150602', 'mca-1', '2026-09-01', 2, '0', 'k', 's', '2026-09-01 00:00:00', 1)",
        "INSERT INTO category_list_entry (list_ref, citizen_id, name, category, grade, "  # noqa: S608
        f"valid_from, valid_until, assertion_id) VALUES ('{LIST}', '{WANG}', '王·芳', 'dibao', "
        f"NULL, '2026-01-01', NULL, 'mca-1'), ('{LIST}', '{SUN}', '孙悦', 'dibao', NULL, "
        "'2026-01-01', NULL, 'mca-2')",
        "INSERT INTO identification_job (id, county_code, school_year, as_of, refresh_lists, "  # noqa: S608
        "purpose, legal_basis, status, phase, lists, counts, requested_by, created_at) VALUES "
        f"('{JOB}', '150602', 2026, '2026-09-01', FALSE, 'p', 'b', 'succeeded', 'done', '[]', "
        "'{}', 'test', '2026-09-01 00:00:00')",
        "INSERT INTO review_item (id, job_id, student_id, county_code, school_code, school_year, "  # noqa: S608
        "kind, agency, category, list_ref, assertion_id, list_citizen_id, list_name, status, "
        f"proposed_awards, version, created_at) VALUES ('{'c' * 32}', '{JOB}', '{'b' * 32}', "
        f"'150602', '2115060201', 2026, 'id_mismatch', 'mca', 'dibao', '{LIST}', 'mca-2', "
        f"'{SUN}', '孙悦', 'open', 0, 1, '2026-09-01 00:00:00')",
    )


def _index(value: str, kind: str) -> str:
    return fieldcrypt.blind_index(fieldcrypt.normalise_citizen_id(value), kind)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of either back end (the migrations make every table)."""
    if request.param == "sqlite":
        return _sqlite_url(tmp_path, "assistance")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database(f"assistance_a0013_{tmp_path.name}".replace("-", "_")[:60])


def test_roster_lists_and_review_items_stored_before_a0013_are_encrypted_and_indexed(
    empty_url: str, field_keys: dict[str, tuple[str, str]]
) -> None:
    from sqlalchemy import select

    from assistance.agencies.models import CategoryListEntry
    from assistance.identification.models import ReviewItem
    from assistance.students.models import (
        Student,
        citizen_id_index,
        name_born_index,
        student_number_index,
    )
    from junheng_kit.db import create_engine

    url = empty_url
    directory = installed_service_dir("assistance")
    upgrade(directory, url, "a0012")
    _seed(url)
    upgrade(directory, url)
    ring = fieldcrypt.configure(*field_keys["ASSISTANCE"])
    stored = run_sql(
        url,
        "SELECT citizen_id, citizen_id_index, student_number, student_number_index, name, "
        "name_born_index FROM student ORDER BY id",
    )
    entries = run_sql(
        url,
        "SELECT citizen_id, citizen_id_index, name, name_born_index FROM category_list_entry "
        "ORDER BY id",
    )
    items = run_sql(url, "SELECT list_citizen_id, list_name FROM review_item")
    values = [v for row in stored for v in (row[0], row[4])] + [
        v for row in entries for v in (row[0], row[2])
    ]
    values += [stored[0][2], *items[0]]
    assert all(isinstance(v, str) and v.startswith("enc:1:aes256gcm:t1:") for v in values)
    assert not {WANG, LI, SUN, WANG_NUMBER, "王芳", "李 强", "孙悦"} & set(values)
    # the indexes as the service computes them (the entry and the pupil: one key)
    assert [row[1] for row in stored] == [citizen_id_index(WANG), citizen_id_index(LI)]
    assert stored[0][3] == student_number_index(WANG_NUMBER)
    assert stored[1][3] is None
    assert [row[5] for row in stored] == [
        name_born_index("王芳", WANG),
        name_born_index("李强", LI),
    ]
    assert entries[0][1] == stored[0][1] == _index(WANG, "citizen_id")
    assert entries[0][3] == stored[0][5]  # 王·芳 on the list, 王芳 on the roster: one person key
    assert entries[1][1] == citizen_id_index(SUN)
    assert ring.current == "t1"

    async def read() -> tuple[list[Any], list[Any], list[Any]]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            pupils = (
                await connection.execute(
                    select(Student.citizen_id, Student.student_number, Student.name).order_by(
                        Student.id
                    )
                )
            ).all()
            listed = (
                await connection.execute(
                    select(CategoryListEntry.citizen_id, CategoryListEntry.name).order_by(
                        CategoryListEntry.id
                    )
                )
            ).all()
            queued = (
                await connection.execute(select(ReviewItem.list_citizen_id, ReviewItem.list_name))
            ).all()
        await engine.dispose()
        return list(pupils), list(listed), list(queued)

    pupils, listed, queued = asyncio.run(read())
    assert [tuple(p) for p in pupils] == [(WANG, WANG_NUMBER, "王芳"), (LI, None, "李 强")]
    assert [tuple(e) for e in listed] == [(WANG, "王·芳"), (SUN, "孙悦")]
    assert [tuple(q) for q in queued] == [(SUN, "孙悦")]
    copy = (
        "INSERT INTO student (id, citizen_id, citizen_id_index, student_key, student_number, "
        "student_number_index, name, name_born_index, gender, birth_date, county_code, "
        "school_code, level, grade, boarding, status, source, version, created_at, updated_at) "
        "SELECT '{}', citizen_id, {}, '{}', student_number, {}, name, "
        "name_born_index, gender, birth_date, county_code, school_code, level, grade, boarding, "
        "status, source, version, created_at, updated_at FROM student WHERE {}"
    )
    unique = r"(?i)unique"  # SQLite's UNIQUE constraint failed, PostgreSQL's unique constraint
    with pytest.raises(Exception, match=unique):  # the ID's index carries the uniqueness
        run_sql(
            url, copy.format("d" * 32, "citizen_id_index", "k9", "NULL", "student_number IS NULL")
        )
    with pytest.raises(Exception, match=unique):  # and the 学籍号's
        run_sql(
            url,
            copy.format(
                "e" * 32, "'y'", "k8", "student_number_index", "student_number IS NOT NULL"
            ),
        )

    command.downgrade(alembic_config(directory, url), "a0012")
    assert run_sql(url, "SELECT citizen_id, student_number, name FROM student ORDER BY id") == [
        (WANG, WANG_NUMBER, "王芳"),
        (LI, None, "李 强"),
    ]
    assert run_sql(url, "SELECT citizen_id, name FROM category_list_entry ORDER BY id") == [
        (WANG, "王·芳"),
        (SUN, "孙悦"),
    ]
    assert run_sql(url, "SELECT list_citizen_id, list_name FROM review_item") == [(SUN, "孙悦")]
    with pytest.raises(Exception, match=unique):  # the plain ID unique again
        run_sql(url, STUDENT.format("f" * 32, WANG, "k7", "NULL", "王芳"))


def test_empty_tables_need_no_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new deployment's migrate runs before any key is set: nothing to encrypt, no keys read."""
    monkeypatch.delenv("ASSISTANCE_FIELD_KEYS")
    monkeypatch.delenv("ASSISTANCE_BLIND_INDEX_KEY")
    monkeypatch.setenv("JUNHENG_ENV", "production")
    url = _sqlite_url(tmp_path, "assistance")
    directory = installed_service_dir("assistance")
    upgrade(directory, url)
    assert ("name_born_index",) in [(r[1],) for r in run_sql(url, "PRAGMA table_info(student)")]
    command.downgrade(alembic_config(directory, url), "a0012")
    assert ("name_born_index",) not in [(r[1],) for r in run_sql(url, "PRAGMA table_info(student)")]
