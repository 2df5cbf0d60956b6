"""Migrations that encrypt stored personal data (issue 20 item 3): rows written before the upgrade
read back the same after it, the table holds no plaintext, the blind index is filled, and the
downgrade gives the plain values back."""

from pathlib import Path

import pytest
from alembic import command

from junheng_kit import fieldcrypt
from junheng_kit.migrations import alembic_config, upgrade
from junheng_kit.migrations import service_dir as installed_service_dir
from junheng_kit.testing.sql import run_sql

from .test_migrations import _sqlite_url

TEACHER_ID, TEACHER_NAME = "150602198503120214", "张老师"


def test_teachers_stored_before_s0011_are_encrypted_and_found_by_their_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """s0011: `teacher.citizen_id` and `teacher.name` encrypted with STAFFING_FIELD_KEYS, the
    ID's blind index (STAFFING_BLIND_INDEX_KEY) in `citizen_id_index`, unique there."""
    monkeypatch.setenv("STAFFING_FIELD_KEYS", fieldcrypt.new_key("m1"))
    monkeypatch.setenv("STAFFING_BLIND_INDEX_KEY", fieldcrypt.new_index_key())
    url = _sqlite_url(tmp_path, "staffing")
    directory = installed_service_dir("staffing")
    upgrade(directory, url, "s0010")
    run_sql(
        url,
        "INSERT INTO teacher (id, citizen_id, name, gender, birth_date, school_code, county_code, "
        "section, school_joined_on, post_type, main_subject, subjects, degree, staffing_status, "
        "hire_date, status, version, created_at, updated_at) VALUES "
        "('0123456789abcdef0123456789abcdef', '150602198503120214', '张老师', 'male', "
        "'1985-03-12', '2115060001', '150602', 'primary', '2015-09-01', 'full_time', 'chinese', "
        "'[\"chinese\"]', 'bachelor', 'in_quota', '2008-09-01', 'active', 1, "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    )
    upgrade(directory, url)
    [(citizen_id, name, index)] = run_sql(
        url, "SELECT citizen_id, name, citizen_id_index FROM teacher"
    )
    assert isinstance(citizen_id, str)
    assert isinstance(name, str)
    assert citizen_id.startswith("enc:1:aes256gcm:m1:")
    assert TEACHER_ID not in citizen_id
    assert TEACHER_NAME not in name
    assert fieldcrypt.decrypt(citizen_id, "staffing.teacher.citizen_id") == TEACHER_ID
    assert fieldcrypt.decrypt(name, "staffing.teacher.name") == TEACHER_NAME
    assert index == fieldcrypt.blind_index(TEACHER_ID, "citizen_id")
    with pytest.raises(Exception, match="UNIQUE"):  # the index carries the uniqueness
        run_sql(
            url,
            "INSERT INTO teacher SELECT '0123456789abcdef0123456789abcdee', citizen_id, name, "
            "gender, birth_date, school_code, county_code, section, school_joined_on, post_type, "
            "main_subject, subjects, title, degree, backbone_level, staffing_status, hire_date, "
            "status, version, created_at, updated_at, leadership_post, "
            "teacher_qualification_type, teacher_qualification_number, "
            "teacher_qualification_subject, citizen_id_index FROM teacher",
        )

    command.downgrade(alembic_config(directory, url), "s0010")
    assert run_sql(url, "SELECT citizen_id, name FROM teacher") == [(TEACHER_ID, TEACHER_NAME)]


def test_plaintext_roster_snapshots_are_dropped_by_a0012(tmp_path: Path) -> None:
    """a0012: a snapshot stored before is plaintext (citizen IDs and names in a Parquet blob):
    deleted, so no plaintext copy stays; the next 应助尽助 job stores a sealed one."""
    url = _sqlite_url(tmp_path, "assistance")
    directory = installed_service_dir("assistance")
    upgrade(directory, url, "a0011")
    run_sql(
        url,
        "INSERT INTO roster_snapshot (county_code, version, built_at, rows, format, payload) "
        "VALUES ('150602', 3, '2026-01-01 00:00:00', 1, 'parquet+zstd/1', x'50415231')",
    )
    upgrade(directory, url)
    assert run_sql(url, "SELECT count(*) FROM roster_snapshot") == [(0,)]
