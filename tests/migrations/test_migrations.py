"""Each service's Alembic chain builds exactly the schema its models declare, on both back ends."""

import asyncio
import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

from junheng_kit.db import create_engine
from junheng_kit.migrations import service_dir as installed_service_dir
from junheng_kit.migrations import target_metadata
from junheng_kit.testing.plugin import Databases
from junheng_kit.testing.sql import run_sql


def service_metadata(name: str) -> MetaData:
    import importlib

    importlib.import_module(f"{name}.models")
    metadata: MetaData = importlib.import_module(f"{name}.db").Base.metadata
    return metadata


@pytest.mark.parametrize("name", ["enrollment", "staffing", "assistance", "evaluation"])
def test_autogenerate_against_head_finds_nothing(
    name: str, databases: Databases, backend: str
) -> None:
    url = databases.fresh(installed_service_dir(name), backend)
    engine = create_engine(url)
    metadata = target_metadata(service_metadata(name))

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(
            connection,  # type: ignore[arg-type]
            opts={"compare_type": True},
        )
        return list(compare_metadata(context, metadata))  # type: ignore[arg-type]

    async def compare() -> list[object]:
        async with engine.connect() as connection:
            found = await connection.run_sync(diff)
        await engine.dispose()
        return found

    assert asyncio.run(compare()) == []


def test_each_service_has_one_linear_chain() -> None:
    from alembic.script import ScriptDirectory

    from junheng_kit.migrations import alembic_config

    for name in ("enrollment", "staffing", "assistance", "evaluation", "gateway"):
        directory = installed_service_dir(name)
        script = ScriptDirectory.from_config(alembic_config(Path(directory), "sqlite://"))
        assert len(script.get_heads()) == 1, name


def _sqlite_url(tmp_path: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / (name + '.sqlite3')}"


def test_a_countys_small_school_size_keeps_its_value_under_the_new_key(tmp_path: Path) -> None:
    """s0006: `small_school_counted_pupils` (the size a small school was staffed as) becomes
    `small_school_pupils` (the size under which it is first in 统筹); a county's own row moves."""
    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "staffing")
    directory = installed_service_dir("staffing")
    upgrade(directory, url, "s0005")
    run_sql(
        url,
        "INSERT INTO policy_parameter (scope_code, key, qualifier, value, effective_from, "
        "source, evidence, set_by, set_at) VALUES ('150602', 'small_school_counted_pupils', '', "
        "'80', '2024-01-01', '东胜区 test', 'OFF', 'test', '2026-01-01 00:00:00')",
    )
    upgrade(directory, url)
    assert run_sql(url, "SELECT key, value FROM policy_parameter") == [
        ("small_school_pupils", "80")
    ]


def test_teachers_stored_before_s0007_have_no_post_or_certificate_and_county_rows_stay(
    tmp_path: Path,
) -> None:
    """s0007: 校级领导职务 and 教师资格证 columns, null for teachers stored before (a 专任教师
    among them is flagged until the bureau records the certificate); a county's own
    `rotation_trigger_years` row keeps its key and value (it is, and was, the county's
    eligibility condition; the 6 years of seed 000 key `rotation_priority_years` in code)."""
    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "staffing")
    directory = installed_service_dir("staffing")
    upgrade(directory, url, "s0006")
    run_sql(
        url,
        "INSERT INTO teacher (id, citizen_id, name, gender, birth_date, school_code, county_code, "
        "section, school_joined_on, post_type, main_subject, subjects, degree, staffing_status, "
        "hire_date, status, version, created_at, updated_at) VALUES "
        "('0123456789abcdef0123456789abcdef', '150602198503120214', '张老师', 'male', "
        "'1985-03-12', '2115060001', '150602', 'primary', '2015-09-01', 'full_time', 'chinese', "
        "'[\"chinese\"]', 'bachelor', 'in_quota', '2008-09-01', 'active', 1, "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "INSERT INTO policy_parameter (scope_code, key, qualifier, value, effective_from, "
        "source, evidence, set_by, set_at) VALUES ('150602', 'rotation_trigger_years', '', "
        "'5', '2024-01-01', '东胜区 test', 'OFF', 'test', '2026-01-01 00:00:00')",
    )
    upgrade(directory, url, "s0009")  # s0010 encrypts the name: test_field_encryption.py
    assert run_sql(
        url,
        "SELECT name, leadership_post, teacher_qualification_type, teacher_qualification_number, "
        "teacher_qualification_subject FROM teacher",
    ) == [("张老师", None, None, None, None)]
    assert run_sql(url, "SELECT key, value FROM policy_parameter") == [
        ("rotation_trigger_years", "5")
    ]


def test_the_2026_calendar_is_seeded_unless_a_bureau_entered_it(tmp_path: Path) -> None:
    """a0008: the State Council's 2026 arrangement (notice of 2025-11-04): 17 + 7 + … holidays,
    six 调休 working weekends; a year a bureau already PUT stays as it is."""

    from junheng_kit.migrations import upgrade

    directory = installed_service_dir("assistance")
    seeded, entered = _sqlite_url(tmp_path, "seeded"), _sqlite_url(tmp_path, "entered")
    upgrade(directory, seeded)
    holidays, working, changed_by = run_sql(
        seeded, "SELECT holidays, working_days, changed_by FROM work_calendar WHERE year = 2026"
    )[0]
    # 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7 = 33 days off
    assert len(json.loads(str(holidays))) == 33
    assert json.loads(str(working)) == [
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
    ]  # fmt: skip
    assert changed_by == "seed:a0008"

    upgrade(directory, entered, "a0007")
    run_sql(
        entered,
        "INSERT INTO work_calendar (year, holidays, working_days, source, version, changed_by, "
        "updated_at) VALUES (2026, '[]', '[]', '县教育局录入', 3, 'bureau', "
        "'2026-01-01 00:00:00')",
    )
    upgrade(directory, entered)
    assert run_sql(entered, "SELECT version, changed_by FROM work_calendar WHERE year = 2026") == [
        (3, "bureau")
    ]


def test_a_school_registered_before_the_national_codes_keeps_its_row(tmp_path: Path) -> None:
    """e0008 (issue 19): the four codes are nullable columns; a school already registered stays
    as it was, with none of them, and no county has a private-share cap until it sets one."""
    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0007")
    run_sql(
        url,
        "INSERT INTO school (school_code, name, levels, county_code, longitude, latitude, "
        "planned_capacity, version, created_at, updated_at) VALUES ('2115000001', '东胜区第一小学', "
        "'[\"primary\"]', '150602', 109.99, 39.82, 1800, 3, '2026-01-01 00:00:00', "
        "'2026-01-01 00:00:00')",
    )
    upgrade(directory, url)
    assert run_sql(
        url,
        "SELECT name, version, school_type, urban_rural_code, division_code, ownership FROM school",
    ) == [("东胜区第一小学", 3, None, None, None, None)]
    assert run_sql(url, "SELECT count(*) FROM private_share_cap") == [(0,)]


def test_counts_stored_before_e0010_stay_and_no_seat_standard_is_seeded(tmp_path: Path) -> None:
    """e0010 (issue 19, 学位配置标准): resident population and seat standards are new tables; the
    child counts imported before keep their rows, and no standard exists until a region or
    county stores one (seed 000, seed 002 and domain.md §2.5 give no value). The tables refuse a
    negative population and a second row for the same zone, and downgrade drops them."""
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    from junheng_kit.migrations import alembic_config, upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0009")
    run_sql(
        url,
        "INSERT INTO cohort_import (id, county_code, year, source, rows, content_sha256, "
        "imported_by, imported_at) VALUES ('00000000000000000000000000000009', '150602', 2026, "
        "'json', 1, 'x', 'test', '2026-01-01 00:00:00')",
        "INSERT INTO cohort_count (import_id, county_code, year, level, zone_code, birth_year, "
        "children) VALUES ('00000000000000000000000000000009', '150602', 2026, 'primary', 'P01', "
        "2020, 108)",
    )
    upgrade(directory, url)
    assert run_sql(url, "SELECT zone_code, children FROM cohort_count") == [("P01", 108)]
    assert run_sql(url, "SELECT count(*) FROM seat_standard") == [(0,)]
    assert run_sql(url, "SELECT count(*) FROM resident_population") == [(0,)]
    population = (
        "INSERT INTO resident_population_import (id, county_code, year, source, rows, "
        "content_sha256, imported_by, imported_at) VALUES ('00000000000000000000000000000010', "
        "'150602', 2026, 'json', 1, 'x', 'test', '2026-01-01 00:00:00')",
        "INSERT INTO resident_population (import_id, county_code, year, level, zone_code, "
        "residents) VALUES ('00000000000000000000000000000010', '150602', 2026, 'primary', "
        "'P01', {})",
    )
    run_sql(url, population[0], population[1].format(23400))
    with pytest.raises(IntegrityError):  # a second row for P01
        run_sql(url, population[1].format(1))
    with pytest.raises(IntegrityError):  # residents >= 0
        run_sql(url, population[1].replace("'P01'", "'P02'").format(-1))
    command.downgrade(alembic_config(directory, url), "e0009")
    tables = run_sql(url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    assert not {("seat_standard",), ("resident_population",)} & set(tables)
    assert run_sql(url, "SELECT zone_code, children FROM cohort_count") == [("P01", 108)]


def test_applications_admissions_and_roster_rows_stored_before_have_no_student_number(
    tmp_path: Path,
) -> None:
    """e0007 and a0010 (issue 19, 全国学籍号): the new columns are empty on the rows stored
    before; the roster's unique 学籍号 lets any number of children have none, but not share one."""
    from sqlalchemy.exc import IntegrityError

    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0006")
    run_sql(
        url,
        "INSERT INTO application (id, county_code, year, level, grade, child_key, citizen_id, "
        "child_name, birth_date, gender, guardian, household, migrant, home_longitude, "
        "home_latitude, home_address, home_schools, hukou_schools, choices, status, created_by, "
        "created_at, updated_at, version) VALUES ('00000000000000000000000000000001', '150602', "
        "2025, 'primary', 1, 'k', '150602201903150018', '王小明', '2019-03-15', 'male', '{}', "
        "'{}', 0, 109.96, 39.81, '东胜区', '[]', '[]', '[]', 'submitted', 'test', "
        "'2025-05-01 00:00:00', '2025-05-01 00:00:00', 1)",
    )
    upgrade(directory, url, "e0013")  # a revision with plaintext fields (e0016 encrypts)
    assert run_sql(url, "SELECT citizen_id, student_number FROM application") == [
        ("150602201903150018", None)
    ]
    assert ("student_number",) in [
        (row[1],) for row in run_sql(url, "PRAGMA table_info(admission)")
    ]

    url = _sqlite_url(tmp_path, "assistance")
    directory = installed_service_dir("assistance")
    upgrade(directory, url, "a0008")
    student = (
        "INSERT INTO student (id, citizen_id, student_key, name, gender, birth_date, county_code, "
        "school_code, level, grade, boarding, status, source, version, created_at, updated_at{} "
        "VALUES ('{}', '{}', '{}', '王芳', 'female', '2015-03-01', '150602', '2115060201', "
        "'primary', 5, 0, 'enrolled', 'import', 1, '2025-05-01 00:00:00', "
        "'2025-05-01 00:00:00'{})"
    )
    run_sql(url, student.format(")", "a" * 32, "150602201503010029", "k1", ""))
    upgrade(directory, url, "a0012")  # a revision with plaintext fields (a0013 encrypts)
    run_sql(url, student.format(")", "b" * 32, "150602201503010037", "k2", ""))
    run_sql(
        url,
        student.format(
            ", student_number)", "c" * 32, "150602201503010045", "k3", ", 'G150602201503010045'"
        ),
    )
    assert run_sql(url, "SELECT citizen_id, student_number FROM student ORDER BY citizen_id") == [
        ("150602201503010029", None),
        ("150602201503010037", None),
        ("150602201503010045", "G150602201503010045"),
    ]
    with pytest.raises(IntegrityError):
        run_sql(
            url,
            student.format(
                ", student_number)", "d" * 32, "150602201503010053", "k4", ", 'G150602201503010045'"
            ),
        )


def test_the_lodging_subsidy_serves_seed_000s_four_categories_first(tmp_path: Path) -> None:
    """a0009: `priority_categories` on every programme version ([] before), `priority` on every
    award (false); lodging_subsidy's newest version again with seed 000's 孤儿, 事实无人抚养儿童,
    农村留守儿童, 困境儿童 — a province's later version is the one amended, from its own date."""

    from junheng_kit.migrations import upgrade

    directory = installed_service_dir("assistance")
    fresh, amended = _sqlite_url(tmp_path, "fresh"), _sqlite_url(tmp_path, "amended")
    upgrade(directory, fresh)
    rows = run_sql(
        fresh,
        "SELECT version, effective_from, priority_categories, changed_by FROM programme "
        "WHERE code = 'lodging_subsidy' ORDER BY version",
    )
    assert [(v, str(d), json.loads(str(p)), c) for v, d, p, c in rows] == [
        (1, "2019-09-01", [], "seed:a0004"),
        (
            2,
            "2019-09-01",
            ["orphan", "de_facto_unsupported", "left_behind_child", "hardship_child"],
            "seed:a0009",
        ),
    ]
    others = run_sql(
        fresh, "SELECT DISTINCT priority_categories FROM programme WHERE code != 'lodging_subsidy'"
    )
    assert [json.loads(str(p)) for (p,) in others] == [[]]

    upgrade(directory, amended, "a0008")
    run_sql(
        amended,
        "INSERT INTO programme (id, code, version, name, kind, scope_code, benefit, auto, "
        "eligible_categories, publicity_shows_category, effective_from, source, changed_by, "
        "created_at) VALUES ('0193a0000000700080000000000009ff', 'lodging_subsidy', 2, "
        "'寄宿生住宿费补助 (自治区 2025)', 'local', '15', 'cash', 0, '[]', 0, '2025-09-01', "
        "'自治区 test', 'province', '2025-08-01 00:00:00')",
    )
    upgrade(directory, amended)
    assert run_sql(
        amended,
        "SELECT version, name, effective_from, changed_by FROM programme "
        "WHERE code = 'lodging_subsidy' AND version = 3",
    ) == [(3, "寄宿生住宿费补助 (自治区 2025)", "2025-09-01", "seed:a0009")]


def test_applications_stored_before_e0009_name_no_primary_school(tmp_path: Path) -> None:
    """e0009 (issue 19, 九年一贯制对口): `application.primary_school_code` is nullable; a grade-7
    application stored before names no primary school (so it is no school's own leaver), one
    stored after keeps its 10-digit code."""
    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0008")
    application = (
        "INSERT INTO application (id, county_code, year, level, grade, child_key, citizen_id, "
        "child_name, birth_date, gender, guardian, household, migrant, home_longitude, "
        "home_latitude, home_address, home_schools, hukou_schools, choices, status, created_by, "
        "created_at, updated_at, version{}) VALUES ('{}', '150602', 2025, 'junior', 7, '{}', "
        "'150602201203150014', '李小华', '2012-03-15', 'male', '{{}}', '{{}}', 0, 109.98, 39.81, "
        "'东胜区', '[]', '[]', '[\"3115000003\"]', 'verified', 'test', '2025-05-01 00:00:00', "
        "'2025-05-01 00:00:00', 1{})"
    )
    run_sql(url, application.format("", "0" * 31 + "1", "k1", ""))
    upgrade(directory, url, "e0013")  # plaintext rows are written up to e0013 (e0016 encrypts)
    run_sql(
        url,
        application.format(", primary_school_code", "0" * 31 + "2", "k2", ", '3115000003'"),
    )
    assert run_sql(url, "SELECT child_key, primary_school_code FROM application ORDER BY id") == [
        ("k1", None),
        ("k2", "3115000003"),
    ]


def test_teacher_counts_published_before_the_training_records_carry_no_training_counts(
    tmp_path: Path,
) -> None:
    """s0009 and e0011 (issue 19, 教师5年360学时): staffing's published counts keep their sections
    and have no training requirement until the school's next recount; evaluation's copy of them
    has no training counts, so the verdict keeps judging item 9 on a stored review."""
    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "staffing")
    directory = installed_service_dir("staffing")
    upgrade(directory, url, "s0008")
    sections = (
        '[{"level": "primary", "full_time_teachers": 3, "teachers_above_required_degree": 2, '
        '"backbone_teachers": 1, "pe_arts_teachers": 1}]'
    )
    run_sql(
        url,
        "INSERT INTO school_teacher_stats (school_code, county_code, sections, as_of, version, "
        "updated_at) VALUES ('2115060001', '150602', '[{\"level\": \"primary\", "
        '"full_time_teachers": 3, "teachers_above_required_degree": 2, '
        '"backbone_teachers": 1, "pe_arts_teachers": 1}]\', \'2025-10-15\', 4, '
        "'2025-10-15 00:00:00')",
    )
    upgrade(directory, url)
    assert run_sql(
        url, "SELECT version, sections, training_requirement FROM school_teacher_stats"
    ) == [(4, sections, None)]
    assert run_sql(url, "SELECT count(*) FROM teacher_training_record") == [(0,)]

    url = _sqlite_url(tmp_path, "evaluation")
    directory = installed_service_dir("evaluation")
    upgrade(directory, url, "e0010")
    run_sql(
        url,
        "INSERT INTO teacher_stats_school (school_code, county_code, as_of, version, "
        "source_event_id, event_time, synced_at) VALUES ('2115060001', '150602', '2025-10-15', "
        "4, 'e1', '2025-10-15 00:00:00', '2025-10-15 00:00:00')",
        "INSERT INTO teacher_stats_section (school_code, level, full_time_teachers, "
        "teachers_above_required_degree, backbone_teachers, pe_arts_teachers) VALUES "
        "('2115060001', 'primary', 3, 2, 1, 1)",
    )
    upgrade(directory, url)
    assert run_sql(
        url,
        "SELECT version, training_required_hours, training_window_years, training_window_from, "
        "training_source FROM teacher_stats_school",
    ) == [(4, None, None, None, None)]
    assert run_sql(
        url,
        "SELECT full_time_teachers, teachers_counted_for_training, "
        "teachers_meeting_training_hours FROM teacher_stats_section",
    ) == [(3, None, None)]


def test_no_county_has_a_travel_model_until_it_sets_one(tmp_path: Path) -> None:
    """e0011 (issue 19, seed 000 路途时间): `commute_model` starts empty — no source gives a
    speed or a detour factor, so none is seeded — and the rows stored before are untouched."""
    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0010")
    run_sql(
        url,
        "INSERT INTO private_share_cap (county_code, cap, effective_from, source, set_by, "
        "set_at) VALUES ('150602', '0.15', '2025-01-01', '东胜区文件', 'bureau', "
        "'2026-01-01 00:00:00')",
    )
    upgrade(directory, url)
    assert run_sql(url, "SELECT count(*) FROM commute_model") == [(0,)]
    assert run_sql(url, "SELECT county_code, cap FROM private_share_cap") == [("150602", "0.15")]


def test_the_facts_ledger_starts_at_its_genesis_and_earlier_rows_stay(
    tmp_path: Path,
) -> None:
    """e0012 (issue 22): enrollment's lookup ledger starts with its one head row at seq 0 and the
    genesis hash (the kit's chain); no fact is checked yet, and the rows stored before stay."""
    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0011")
    run_sql(
        url,
        "INSERT INTO commute_model (county_code, mode, speed_kmh, detour_factor, "
        "effective_from, source, set_by, set_at) VALUES ('150602', 'walking', '4', '1.3', "
        "'2025-01-01', '东胜区文件', 'bureau', '2026-01-01 00:00:00')",
    )
    upgrade(directory, url, "e0012")
    assert run_sql(url, "SELECT county_code, mode FROM commute_model") == [("150602", "walking")]
    assert run_sql(url, "SELECT id, seq, head_hash FROM fact_ledger_head") == [(1, 0, "0" * 64)]
    for table in ("fact_ledger_entry", "application_fact", "application_fact_check"):
        assert run_sql(url, f"SELECT count(*) FROM {table}") == [(0,)]  # noqa: S608 - fixed names


def test_runs_stored_before_e0013_have_no_family_outcomes_and_applications_keep_status(
    tmp_path: Path,
) -> None:
    """e0013 (issue 18 §3): `assignment_outcome` starts empty — runs stored before keep their
    answer and have no per-family rows (their families' explanation is a 404) — and the
    applications stored before keep their status and child key, now indexed."""
    from junheng_kit.migrations import upgrade

    url = _sqlite_url(tmp_path, "enrollment")
    directory = installed_service_dir("enrollment")
    upgrade(directory, url, "e0012")
    run_sql(
        url,
        "INSERT INTO application (id, county_code, year, level, grade, child_key, citizen_id, "
        "child_name, birth_date, gender, guardian, household, migrant, home_longitude, "
        "home_latitude, home_address, home_schools, hukou_schools, choices, status, created_by, "
        "created_at, updated_at, version) VALUES ('" + "0" * 31 + "1', '150602', 2025, "
        "'primary', 1, 'k1', '150602201903150018', '李小华', '2019-03-15', 'male', '{}', '{}', "
        "0, 109.98, 39.81, '东胜区', '[]', '[]', '[]', 'verified', 'test', "
        "'2025-05-01 00:00:00', '2025-05-01 00:00:00', 1)",
    )
    upgrade(directory, url)
    assert run_sql(url, "SELECT count(*) FROM assignment_outcome") == [(0,)]
    assert run_sql(url, "SELECT child_key, status FROM application") == [("k1", "verified")]
