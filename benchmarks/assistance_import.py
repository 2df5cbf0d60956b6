"""Roster sheet import (`POST /v1/students/imports`' use-case, `students.sheet.import_students`):
a county's sheet of `BENCH_ROWS` pupils (default 20,000, each with a 学籍号) imported into an
empty roster (every row new: inserted), then the same sheet again with the names written
otherwise (every row known: found by ID and updated), each committed. SQLite file in a temp dir,
migrated by the service's own chain; wall and CPU seconds (the machine is shared: CPU is the
comparable figure), median of `BENCH_ROUNDS` (default 3) fresh databases.

Since a0013 (issue 20 item 3) each row's citizen ID, 学籍号 and name are encrypted and their
blind indexes computed on insert, and the known IDs are found by their index. Measured before
and after in one session by running this file against each tree (PYTHONPATH).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from assistance.students.sheet import import_students
from junheng_kit import fieldcrypt
from junheng_kit.auth import Jurisdiction, Principal
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.migrations import service_dir, upgrade
from junheng_kit.tabular import CSV

ROWS = int(os.environ.get("BENCH_ROWS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
COUNTY, SCHOOLS = "150602", 40
SURNAMES, GIVEN = "王李张刘陈杨赵黄周吴", "伟芳娜秀英敏静丽强磊军洋"
PRINCIPAL = Principal(
    client_id="bench",
    scopes=frozenset({"assistance:write", "assistance:pii"}),
    jurisdiction=Jurisdiction((COUNTY,)),
)
HEADER = "姓名,身份证件号,学籍号,学校标识码,学段,年级,是否寄宿生"


def sheet(renamed: bool) -> bytes:
    lines = [HEADER]
    for n in range(ROWS):
        born = date(2015, 1, 1) + timedelta(days=n % 365)
        body = f"{COUNTY}{born:%Y%m%d}{n // 365:03d}"
        cid = body + citizen_id_check_character(body)
        name = SURNAMES[n % 10] + GIVEN[(n // 10) % 12] + GIVEN[(n // 120) % 12]
        school = f"21150{n % SCHOOLS:05d}"
        lines.append(f"{name + '华' if renamed else name},{cid},G{cid},{school},小学,3,否")
    return "\n".join(lines).encode()


def seed_schools(path: Path) -> None:
    db = sqlite3.connect(path)
    now = datetime.now(UTC).isoformat()
    db.executemany(
        "INSERT INTO school (school_code, name, levels, county_code, longitude, latitude,"
        " planned_capacity, version, source_event_id, synced_at)"
        " VALUES (?, ?, '[\"primary\"]', ?, 109.9, 39.8, 2000, 1, 'bench', ?)",
        [(f"21150{i:05d}", f"学校{i}", COUNTY, now) for i in range(SCHOOLS)],
    )
    db.commit()
    db.close()


async def timed_import(url: str, content: bytes) -> tuple[float, float, dict[str, int]]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    start, cpu = time.perf_counter(), time.process_time()
    async with sessions() as session:
        read = await import_students(
            session,
            PRINCIPAL,
            content=content,
            media_type=CSV,
            pseudonym_key=b"bench-only-pseudonym-key",
        )
        await session.commit()
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    await engine.dispose()
    return wall, used, {"created": read.created, "updated": read.updated}


def main() -> None:
    fieldcrypt.configure(fieldcrypt.new_key("bench"), fieldcrypt.new_index_key())
    first, second = sheet(renamed=False), sheet(renamed=True)
    results: dict[str, list[tuple[float, float]]] = {"new": [], "known": []}
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "assistance.sqlite3"
            url = f"sqlite+aiosqlite:///{path}"
            upgrade(service_dir("assistance"), url)
            seed_schools(path)
            wall, cpu, counts = asyncio.run(timed_import(url, first))
            assert counts == {"created": ROWS, "updated": 0}, counts
            results["new"].append((wall, cpu))
            wall, cpu, counts = asyncio.run(timed_import(url, second))
            assert counts == {"created": 0, "updated": ROWS}, counts
            results["known"].append((wall, cpu))
    for label, samples in results.items():
        wall = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        print(
            f"import of {ROWS:,} {label} pupils: median {wall:.2f} s wall, CPU {cpu:.2f} s"
            f" → {ROWS / cpu:,.0f} rows per CPU second (over {ROUNDS})"
        )


if __name__ == "__main__":
    main()
