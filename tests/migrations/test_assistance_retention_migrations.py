"""a0015 (issue 20 item 4): assistance gets the kit's retention tables, all empty — no rule is
seeded (no source gives the aid file's period), no hold, no purge — and the roster stored
before keeps its rows."""

from pathlib import Path

from junheng_kit.migrations import service_dir as installed_service_dir
from junheng_kit.migrations import upgrade
from junheng_kit.testing.sql import run_sql


def test_the_retention_tables_start_empty_and_the_roster_stays(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'assistance.sqlite3'}"
    directory = installed_service_dir("assistance")
    upgrade(directory, url, "a0012")  # the roster still plaintext: a0013 encrypts it
    run_sql(
        url,
        "INSERT INTO student (id, citizen_id, student_key, name, gender, birth_date, "
        "county_code, school_code, level, grade, boarding, status, source, version, "
        "created_at, updated_at) VALUES ('0193a0000000700080000000000000aa', "
        "'150602201403010011', 'k', '王小', 'female', '2014-03-01', '150602', '2115060201', "
        "'junior', 7, 0, 'left', 'import', 1, '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
    )
    upgrade(directory, url, "a0015")
    for table in ("retention_rule", "legal_hold", "purge_record", "purged_record", "purge_lease"):
        assert run_sql(url, f"SELECT count(*) FROM {table}") == [(0,)]  # noqa: S608 - fixed names
    ((name, status),) = run_sql(url, "SELECT name, status FROM student")
    assert (str(name).startswith("enc:1:"), status) == (True, "left")
