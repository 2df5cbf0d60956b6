"""Enrollment's migrations of issues 20 and 22: the retention tables (e0015), children's and
guardians' personal fields encrypted at rest (e0016), re-check jobs with a lease (e0017) — rows
stored before each keep what they held."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from junheng_kit.db import create_engine
from junheng_kit.migrations import service_dir as installed_service_dir
from junheng_kit.testing.sql import run_sql

from .test_migrations import _sqlite_url


def test_no_retention_rule_is_seeded_and_applications_stored_before_stay(tmp_path: Path) -> None:
    """e0015 (issue 20 item 4): the retention tables start empty — no source gives a period, so
    no rule exists and nothing is purged until a bureau stores one — and the applications stored
    before keep their personal data; the downgrade drops the tables again."""
    from alembic import command

    from junheng_kit.migrations import alembic_config, upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0014")
    run_sql(
        url,
        "INSERT INTO application (id, county_code, year, level, grade, child_key, citizen_id, "
        "child_name, birth_date, gender, guardian, household, migrant, home_longitude, "
        "home_latitude, home_address, home_schools, hukou_schools, choices, status, created_by, "
        "created_at, updated_at, version) VALUES ('" + "0" * 31 + "1', '150602', 2020, "
        "'primary', 1, 'k1', '150602201903150018', '李小华', '2019-03-15', 'male', '{}', '{}', "
        "0, 109.98, 39.81, '东胜区', '[]', '[]', '[]', 'withdrawn', 'test', "
        "'2020-05-01 00:00:00', '2020-05-01 00:00:00', 1)",
    )
    upgrade(directory, url, "e0015")
    for table in ("retention_rule", "legal_hold", "purge_record", "purged_record", "purge_lease"):
        assert run_sql(url, f"SELECT count(*) FROM {table}") == [(0,)]  # noqa: S608 - our names
    assert run_sql(url, "SELECT child_name, status FROM application") == [("李小华", "withdrawn")]
    command.downgrade(alembic_config(directory, url), "e0014")
    assert run_sql(url, "SELECT child_name FROM application") == [("李小华",)]


def test_personal_fields_stored_before_e0016_are_encrypted_and_read_back_the_same(
    tmp_path: Path, field_keys: dict[str, tuple[str, str]]
) -> None:
    """e0016 (issue 20 item 3): an application and an admission stored before read back the same
    through the models' encrypted columns; the table holds no plaintext of the citizen ID, the
    学籍号, the names, the phone, the addresses or the 居住证 number (the household document's
    other fields stay plain JSON); the citizen ID's blind index is filled and is
    what keeps one application per child and year; downgrade gives the plaintext back."""
    from alembic import command
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from enrollment.admission.models import Admission, Application
    from enrollment.admission.repository import citizen_id_index
    from junheng_kit import fieldcrypt
    from junheng_kit.migrations import alembic_config, upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0015")
    guardian = '{"name": "王建国", "relation": "father", "phone": "13800000001"}'
    household = {
        "hukou": {"county_code": "150602", "type": "urban", "address": "东胜区户籍路 2 号"},
        "housing": "rented",
        "residence_permit": {"issued_on": "2023-01-01", "number": "J150602202301010099"},
        "social_insurance_months": 30,
    }
    row = (
        "INSERT INTO application (id, county_code, year, level, grade, child_key, citizen_id, "
        "student_number, child_name, birth_date, gender, guardian, household, migrant, "
        "home_longitude, home_latitude, home_address, home_schools, hukou_schools, choices, "
        "status, created_by, created_at, updated_at, version) VALUES ('{}', '150602', {}, "
        "'primary', 1, 'k1', '150602201903150018', 'G150602201903150018', '王小明', "
        "'2019-03-15', 'male', '{}', '{}', 0, 109.96, 39.81, '东胜区幸福路 1 号', '[]', '[]', "
        "'[]', 'verified', 'test', '2025-05-01 00:00:00', '2025-05-01 00:00:00', 1)"
    )
    first, second = "0" * 31 + "1", "0" * 31 + "2"
    document = json.dumps(household, ensure_ascii=False)
    run_sql(
        url, row.format(first, 2025, guardian, document), row.format(second, 2026, guardian, "{}")
    )
    run_sql(
        url,
        "INSERT INTO admission (application_id, school_code, county_code, year, level, route, "
        "student_number, run_id, confirmed_by, confirmed_at) VALUES ('"
        + first
        + "', '2115060201', '150602', 2025, 'primary', 'assignment', 'G150602201903150018', '"
        + "a" * 32
        + "', 'test', '2025-06-01 00:00:00')",
    )
    upgrade(directory, url)

    raw = run_sql(url, "SELECT * FROM application") + run_sql(url, "SELECT * FROM admission")
    stored = " ".join(str(value) for values in raw for value in values)
    for plain in (
        "150602201903150018",
        "王小明",
        "王建国",
        "13800000001",
        "幸福路",
        "户籍路",
        "J150602202301010099",
    ):
        assert plain not in stored
    assert run_sql(url, "SELECT substr(citizen_id, 1, 6), substr(guardian, 1, 6) FROM application")[
        0
    ] == ("enc:1:", "enc:1:")

    fieldcrypt.configure(*field_keys["ENROLLMENT"])

    async def read() -> tuple[list[Any], list[Any]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                applications = (
                    await connection.execute(
                        select(
                            Application.citizen_id,
                            Application.citizen_id_index,
                            Application.student_number,
                            Application.child_name,
                            Application.guardian,
                            Application.home_address,
                            Application.household,
                        ).order_by(Application.id)
                    )
                ).all()
                admissions = (await connection.execute(select(Admission.student_number))).all()
                return [tuple(a) for a in applications], [tuple(a) for a in admissions]
        finally:
            await engine.dispose()

    applications, admissions = asyncio.run(read())
    index = citizen_id_index(" 150602201903150018 ")
    assert applications == [
        (
            "150602201903150018",
            index,
            "G150602201903150018",
            "王小明",
            {"name": "王建国", "relation": "father", "phone": "13800000001"},
            "东胜区幸福路 1 号",
            document,
        )
        for document in (household, {})
    ]
    assert admissions == [("G150602201903150018",)]
    with pytest.raises(IntegrityError):  # the same child's second 2025 application
        run_sql(
            url,
            "INSERT INTO application (id, county_code, year, level, grade, child_key, "
            "citizen_id, citizen_id_index, child_name, birth_date, gender, guardian, household, "
            "migrant, home_longitude, home_latitude, home_address, home_schools, hukou_schools, "
            "choices, status, created_by, created_at, updated_at, version) VALUES ('"
            + "0"
            * 31
            + f"3', '150602', 2025, 'primary', 1, 'k9', 'x', '{index}', 'x', '2019-03-15', "
            "'male', 'x', '{}', 0, 109.96, 39.81, 'x', '[]', '[]', '[]', 'verified', 'test', "
            "'2025-05-01 00:00:00', '2025-05-01 00:00:00', 1)",
        )

    command.downgrade(alembic_config(directory, url), "e0015")
    assert (
        run_sql(url, "SELECT citizen_id, student_number, child_name, home_address FROM application")
        == [("150602201903150018", "G150602201903150018", "王小明", "东胜区幸福路 1 号")] * 2
    )
    documents = run_sql(url, "SELECT guardian, household FROM application ORDER BY id")
    assert [(json.loads(str(g)), json.loads(str(h))) for g, h in documents] == [
        (json.loads(guardian), household),
        (json.loads(guardian), {}),
    ]
    assert run_sql(url, "SELECT student_number FROM admission") == [("G150602201903150018",)]


def test_recheck_jobs_stored_before_e0017_have_no_lease_and_are_taken_over(
    tmp_path: Path,
) -> None:
    """e0017 (issue 22 §4): a re-check job stored before has no owner, lease or resume point and
    0 attempts — one still running is taken over by the first replica's sweep — and keeps its
    progress."""
    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0016")
    run_sql(
        url,
        "INSERT INTO fact_recheck_job (id, county_code, status, total, done, counts, created_by, "
        "created_at) VALUES ('" + "0" * 31 + "1', '150602', 'running', 10, 4, '{}', 'clerk', "
        "'2025-05-01 00:00:00')",
    )
    upgrade(directory, url)
    assert run_sql(
        url,
        "SELECT status, total, done, owner, lease_until, resume_after, attempts "
        "FROM fact_recheck_job",
    ) == [("running", 10, 4, None, None, None, 0)]
