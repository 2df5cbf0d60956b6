"""Assistance's a0016 (issue 20 item 3): the agency assertions stored before get their subject
hash (the plain sha256 of a citizen ID) sealed with ASSISTANCE_FIELD_KEYS and a keyed blind
index of the ID (ASSISTANCE_BLIND_INDEX_KEY, the roster's) made from their pupil's ID where the
pupil's ID is the subject, none where no pupil or another ID; the model reads the hashes back;
the downgrade gives the plain hashes back and drops the index."""

import asyncio
import hashlib
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

WANG, LI, SUN = ("150602201503010029", "15060220120712001X", "150621201409010068")
PUPIL = (
    "INSERT INTO student (id, citizen_id, student_key, student_number, name, gender, birth_date, "
    "county_code, school_code, level, grade, boarding, status, source, version, created_at, "
    "updated_at) VALUES ('{}', '{}', '{}', NULL, '{}', 'female', '2015-03-01', '150602', "
    "'2115060201', 'primary', 5, FALSE, 'enrolled', 'import', 1, '2025-05-01 00:00:00', "
    "'2025-05-01 00:00:00')"
)
ASSERTION = (
    "INSERT INTO agency_assertion (id, assertion_id, agency, student_id, subject_sha256, matched, "
    "name_matches, categories, issued_at, key_id, signature, source, evidence, ledger_seq, "
    "recorded_at) VALUES ('{}', '{}', 'mca', {}, '{}', TRUE, TRUE, '[]', "
    "'2026-09-01 00:00:00', 'k1', 's', 'agency', NULL, {}, '2026-09-01 00:00:00')"
)


def sha(citizen_id: str) -> str:
    return hashlib.sha256(citizen_id.encode()).hexdigest()


def _seed(url: str) -> None:
    """At a0012 (the roster plaintext; a0013 encrypts it): two pupils, and three answers — about
    王 (on the roster), about 孙 (not on it), and one naming 李 whose subject is another ID."""
    run_sql(
        url,
        PUPIL.format("a" * 32, WANG, "k1", "王芳"),
        PUPIL.format("b" * 32, LI, "k2", "李强"),
        ASSERTION.format("1" * 32, "mca-1", f"'{'a' * 32}'", sha(WANG), 1),
        ASSERTION.format("2" * 32, "mca-2", "NULL", sha(SUN), 2),
        ASSERTION.format("3" * 32, "mca-3", f"'{'b' * 32}'", sha(SUN), 3),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return _sqlite_url(tmp_path, "assistance")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database(f"assistance_a0016_{tmp_path.name}".replace("-", "_")[:60])


def test_assertions_stored_before_a0016_are_sealed_and_indexed_and_the_downgrade_unseals(
    empty_url: str, field_keys: dict[str, tuple[str, str]]
) -> None:
    from sqlalchemy import select

    from assistance.agencies.models import AgencyAssertion
    from assistance.students.models import citizen_id_index
    from junheng_kit.db import create_engine

    url = empty_url
    directory = installed_service_dir("assistance")
    upgrade(directory, url, "a0012")
    _seed(url)
    upgrade(directory, url, "a0015")
    upgrade(directory, url)
    fieldcrypt.configure(*field_keys["ASSISTANCE"])
    stored = run_sql(
        url, "SELECT subject_sha256, citizen_id_index FROM agency_assertion ORDER BY ledger_seq"
    )
    subjects = [row[0] for row in stored]
    assert all(str(s).startswith("enc:1:aes256gcm:t1:") for s in subjects), subjects
    assert not {sha(WANG), sha(SUN)} & set(subjects)
    assert [row[1] for row in stored] == [citizen_id_index(WANG), None, None]
    assert stored[0][1] == fieldcrypt.blind_index(WANG, "citizen_id")

    async def read() -> list[Any]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(AgencyAssertion.assertion_id, AgencyAssertion.subject_sha256).where(
                        AgencyAssertion.citizen_id_index == citizen_id_index(WANG)
                    )
                )
            ).all()
        await engine.dispose()
        return [tuple(r) for r in rows]

    assert asyncio.run(read()) == [("mca-1", sha(WANG))]

    command.downgrade(alembic_config(directory, url), "a0015")
    assert run_sql(url, "SELECT subject_sha256 FROM agency_assertion ORDER BY ledger_seq") == [
        (sha(WANG),),
        (sha(SUN),),
        (sha(SUN),),
    ]
    with pytest.raises(Exception, match="citizen_id_index"):  # the column is gone
        run_sql(url, "SELECT citizen_id_index FROM agency_assertion")
    upgrade(directory, url)  # and up again: the same rows sealed anew
    again = run_sql(url, "SELECT citizen_id_index FROM agency_assertion ORDER BY ledger_seq")
    assert again == [(citizen_id_index(WANG),), (None,), (None,)]


def test_an_empty_table_needs_no_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new deployment's migrate runs before any key is set: nothing to seal, no keys read."""
    url = _sqlite_url(tmp_path, "assistance")
    directory = installed_service_dir("assistance")
    upgrade(directory, url, "a0015")
    monkeypatch.delenv("ASSISTANCE_FIELD_KEYS")
    monkeypatch.delenv("ASSISTANCE_BLIND_INDEX_KEY")
    monkeypatch.setenv("JUNHENG_ENV", "production")
    upgrade(directory, url)
    columns = [r[1] for r in run_sql(url, "PRAGMA table_info(agency_assertion)")]
    assert "citizen_id_index" in columns
    command.downgrade(alembic_config(directory, url), "a0015")
    columns = [r[1] for r in run_sql(url, "PRAGMA table_info(agency_assertion)")]
    assert "citizen_id_index" not in columns
