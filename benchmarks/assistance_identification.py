"""`make bench`: 应助尽助 scan of 1,000,000 students against four agency category lists, stored in
the assistance database (SQLite file in a temp dir, migrated by the service's own chain).

Issue goal: ≤ 3 s end to end including loading (print students/s).

Stored as the service stores them since a0013 (issue 20 item 3): the pupils' and the entries'
citizen IDs and names encrypted, their blind indexes beside them; the scan reads and joins the
indexes only (`rules.match`), and decrypts nothing but the list entries of new review items.

- **scan** (the goal's figure) = what the job does between "loading" and "writing": choose the
  current lists, load the county's enrolled roster, the lists' entries and the year's awards from
  the database into polars (the service's repository path), and run the rules: match by ID,
  validity on the date, name and ID partial matches, proposals per 免申即享 programme, lost
  categories, coverage per school and county.
- **first full job** = the service's job runner end to end, writes included: the scan plus the
  ~200k proposed awards (B's `propose_awards`, with history rows), review items, status notices,
  coverage rows and the event, committed. Timed once (it changes the database).
- **steady-state job** = the same job again, when every proposal already exists (what a nightly
  job costs). Timed over the rounds.
- **loading paths** compared on the roster query: the service's columnar path (the session's own
  connection; each column aggregated by SQLite into one string joined by char 31 and split by
  polars, no Python object per value), the previous row path (aiosqlite `execute_fetchall` rows →
  polars), SQLAlchemy `session.execute` → polars, a raw sqlite3 cursor → polars,
  `pl.read_database` over sqlite3. Wall and CPU seconds: on the shared 2-core machine the wall
  time mostly measures the other processes' load, the CPU time what the path costs.
- **baseline** in the same run: a plain-Python dict join (ID → entries, name compare, validity,
  eligible set) over the same rows already loaded as Python tuples.

Synthetic county: 400 schools; lists like a real county's shares — 民政 ~6 % (低保, 特困, 孤儿 …),
残联 ~3 %, 乡村振兴 ~8 %, 农牧 ~4 % — overlapping, 2 % of list names written differently
(a middle dot, a blank, a full-width letter or another character), 3 % expired entries, and 1 %
of each list people not on the roster.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from pydantic import SecretStr
from sqlalchemy import text

from assistance.agencies.models import ENTRY_CITIZEN_ID, ENTRY_NAME
from assistance.app import create_app
from assistance.identification import rules, snapshot
from assistance.identification.jobs import JobRunner
from assistance.identification.repository import IdentificationRepository
from assistance.identification.schemas import JobCreate
from assistance.identification.service import (
    CATEGORY_ORDER,
    applicable,
    create_job,
    load_roster,
)
from assistance.programmes.service import auto_programmes
from assistance.settings import AssistanceSettings
from assistance.students import models as student_models
from assistance.students import versions
from junheng_kit import fieldcrypt
from junheng_kit.auth import Jurisdiction, Principal
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.migrations import service_dir, upgrade

STUDENTS = int(os.environ.get("BENCH_STUDENTS", "1000000"))  # smaller for a quick check
SCHOOLS, ROUNDS = 400, int(os.environ.get("BENCH_ROUNDS", "3"))
# BENCH_FULL_JOB=0 stops after the scans and the baseline (no full jobs: minutes on SQLite)
COUNTY, YEAR, AS_OF = "150602", 2026, date(2026, 9, 1)
LISTS = {  # agency: (share of the roster, categories)
    "mca": (0.06, ["dibao", "tekun", "orphan", "de_facto_unsupported", "hardship_child"]),
    "cdpf": (0.03, ["disabled_student", "disabled_parent"]),
    "nrra": (0.08, ["tuopin", "monitored_relapse"]),
    "moa": (0.04, ["tuopin"]),
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
PRINCIPAL = Principal(
    client_id="bench",
    scopes=frozenset({"assistance:write"}),
    jurisdiction=Jurisdiction((COUNTY,)),
)


def citizen_id(serial: int, born: date) -> str:
    body = f"{COUNTY}{born:%Y%m%d}{serial % 1000:03d}"
    return body + citizen_id_check_character(body)


def variant(name: str, rng: random.Random) -> str:
    """How another office may write the same name (most normalise back, some do not)."""
    kind = rng.randrange(4)
    if kind == 0:
        return name[0] + " " + name[1:]
    if kind == 1:
        return name[0] + "·" + name[1:]
    if kind == 2:
        return name + "Ａ"  # full-width: NFKC makes it "A", still a different name
    return name[:-1] + rng.choice(GIVEN)


def seed(path: Path) -> None:
    """1,000,000 pupils and four lists, written with sqlite3 executemany, encrypted and
    indexed in Python (not timed)."""
    rng = random.Random(2026)
    db = sqlite3.connect(path)
    now = datetime.now(UTC).isoformat()
    schools = [
        (f"{'21' if i % 3 else '31'}15{i:06d}", f"学校{i}", '["primary", "junior"]', COUNTY)
        for i in range(SCHOOLS)
    ]
    db.executemany(
        "INSERT INTO school (school_code, name, levels, county_code, longitude, latitude,"
        " planned_capacity, version, source_event_id, synced_at)"
        " VALUES (?, ?, ?, ?, 109.9, 39.8, 2000, 1, 'bench', ?)",
        [(*s, now) for s in schools],
    )
    students = []
    for n in range(STUDENTS):
        born = date(2011, 1, 1) + timedelta(days=n % 3285)  # nine birth years
        cid = citizen_id(n // 3285, born)  # unique: ≤ 305 children per birth date
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        school = schools[n % SCHOOLS][0]
        students.append((uuid.uuid4().hex, cid, f"k{n:031d}", name, born.isoformat(), school))
    unique = students
    db.executemany(  # stored as the service stores them: encrypted, with their blind indexes
        "INSERT INTO student (id, citizen_id, citizen_id_index, student_key, name,"
        " name_born_index, gender, birth_date, county_code, school_code, level, grade, boarding,"
        " status, source, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'female', ?,"
        " ?, ?, 'primary', 3, 0, 'enrolled', 'import', 1, ?, ?)",
        [
            (
                s[0],
                fieldcrypt.encrypt(s[1], student_models.CITIZEN_ID),
                student_models.citizen_id_index(s[1]),
                s[2],
                fieldcrypt.encrypt(s[3], student_models.NAME),
                student_models.name_born_index(s[3], s[1]),
                s[4],
                COUNTY,
                s[5],
                now,
                now,
            )
            for s in unique
        ],
    )
    for agency, (share, categories) in LISTS.items():
        list_ref = uuid.uuid4().hex
        picked = rng.sample(unique, int(len(unique) * share))
        entries = []
        for number, (_, cid, _, name, _, _) in enumerate(picked):
            listed_name = variant(name, rng) if rng.random() < 0.02 else name
            until = "2026-06-30" if rng.random() < 0.03 else None
            entries.append(
                (list_ref, cid, listed_name, rng.choice(categories), "2025-01-01", until,
                 f"{agency}-{number}")
            )  # fmt: skip
        for extra in range(len(picked) // 100):  # same name and birth date, another county's ID
            _, cid, _, name, _, _ = rng.choice(unique)
            body = f"150621{cid[6:14]}{extra % 1000:03d}"
            entries.append(
                (list_ref, body + citizen_id_check_character(body), name, categories[0],
                 "2025-01-01", None, f"{agency}-x{extra}")
            )  # fmt: skip
        db.execute(
            "INSERT INTO category_list (id, agency, region_code, list_id, as_of, entry_count,"
            " entries_sha256, key_id, signature, fetched_at, ledger_seq)"
            " VALUES (?, ?, ?, ?, '2026-09-01', ?, ?, 'bench', 'bench', ?, 1)",
            (list_ref, agency, COUNTY, f"{agency}-2026", len(entries), "0" * 64, now),
        )
        db.executemany(
            "INSERT INTO category_list_entry (list_ref, citizen_id, citizen_id_index, name,"
            " name_born_index, category, grade, valid_from, valid_until, assertion_id)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
            [
                (
                    e[0],
                    fieldcrypt.encrypt(e[1], ENTRY_CITIZEN_ID),
                    student_models.citizen_id_index(e[1]),
                    fieldcrypt.encrypt(e[2], ENTRY_NAME),
                    student_models.name_born_index(e[2], e[1]),
                    *e[3:],
                )
                for e in entries
            ],
        )
    db.commit()
    db.close()


async def bump_roster(url: str) -> None:
    """A roster write elsewhere (not timed): the stored snapshot is stale afterwards."""
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        await versions.bump(session, [COUNTY])
        await session.commit()
    await engine.dispose()


async def scan(url: str, roster_from: str = "dump") -> tuple[float, dict[str, int]]:
    """Loading + rules, as the job runs them (no writes but the snapshot's); counts carry the
    CPU milliseconds. `roster_from`: "dump" reads the tables (columnar dump) every time;
    "snapshot" goes through the job's path (the snapshot while current, else the tables and a
    new snapshot stored, encoding and writing timed)."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    start, started_cpu = time.perf_counter(), time.process_time()
    hit = True
    async with sessions() as session:
        repository = IdentificationRepository(session)
        lists = await repository.current_lists(COUNTY)
        if roster_from == "dump":
            roster = await repository.roster(COUNTY)
        else:
            roster, version, hit = await load_roster(repository, COUNTY)
            if not hit:
                payload = await asyncio.to_thread(snapshot.encode, roster)
                await repository.store_roster_snapshot(COUNTY, version, roster, payload)
                await session.commit()
        entries = await repository.entries(lists)
        awards = await repository.awards(COUNTY, YEAR)
        confirmed = await repository.confirmed_students(COUNTY, YEAR)
        programmes = applicable(await auto_programmes(session, on=AS_OF), COUNTY)
    matches = rules.match(roster, entries, on=AS_OF)
    listed = rules.listed_categories(matches)
    proposals = rules.proposals(matches.exact, programmes, awards, category_order=CATEGORY_ORDER)
    lost = rules.lost_categories(awards, listed, {c: a for a, (_, cs) in LISTS.items() for c in cs})
    per_school = rules.coverage(
        roster, listed=listed, auto=matches.exact, confirmed=confirmed, awards=awards
    )
    elapsed = time.perf_counter() - start
    cpu_ms = int((time.process_time() - started_cpu) * 1000)
    await engine.dispose()
    county = rules.totals(per_school)
    return elapsed, {
        "cpu_ms": cpu_ms,
        "snapshot_hit": int(hit),
        "students": roster.height,
        "entries": entries.height,
        "auto": int(county["auto_identified"]),
        "name_mismatch": matches.name_mismatch.height,
        "id_mismatch": matches.id_mismatch.height,
        "proposals": proposals.height,
        "lost": lost.height,
    }


async def full_job(url: str) -> tuple[float, dict[str, int]]:
    """The service's runner: create the job, then scan and write out, committed."""
    app = create_app(
        AssistanceSettings(
            environment="test",
            secret_key=SecretStr("bench-only-secret"),
            pseudonym_key=SecretStr("bench-only-pseudonym-key"),
            field_keys=SecretStr(BENCH_KEYS[0]),
            blind_index_key=SecretStr(BENCH_KEYS[1]),
            database_url=url,
            nats_url=None,
        )
    )
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session:
            runner: JobRunner = app.state.identification_jobs
            job = await create_job(
                session,
                PRINCIPAL,
                stale_before=runner.stale_before(),
                request=JobCreate(
                    county_code=COUNTY,
                    school_year=YEAR,
                    as_of=AS_OF,
                    purpose="应助尽助 bench",
                    legal_basis="财教〔2021〕310号",
                ),
            )
            await session.commit()
        start = time.perf_counter()
        await runner.run(job.id)
        elapsed = time.perf_counter() - start
        async with app.state.sessionmaker() as session:
            done = await IdentificationRepository(session).job(job.id)
    assert done.status == "succeeded", done.detail
    return elapsed, dict(done.counts)


ROSTER_SQL = (  # the repository's roster query, as text for the raw sqlite3 paths
    "SELECT CAST(id AS VARCHAR), citizen_id_index, name_born_index, school_code FROM student"
    " WHERE county_code = '150602' AND status = 'enrolled'"
)


def load_sqlite3(path: Path) -> pl.DataFrame:
    db = sqlite3.connect(path)
    rows = db.execute(ROSTER_SQL).fetchall()
    db.close()
    return pl.DataFrame(rows, schema=rules.ROSTER_SCHEMA, orient="row")


def load_read_database(path: Path) -> pl.DataFrame:
    db = sqlite3.connect(path)
    frame = pl.read_database(ROSTER_SQL, db)
    db.close()
    return frame


async def load_rows(url: str) -> pl.DataFrame:
    """The previous service path: the session's connection, aiosqlite execute_fetchall rows."""
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        connection = await session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        rows = await driver.execute_fetchall(ROSTER_SQL)  # type: ignore[union-attr]
        frame = pl.DataFrame(rows, schema=rules.ROSTER_SCHEMA, orient="row")
    await engine.dispose()
    return frame


async def load_service(url: str) -> pl.DataFrame:
    """The repository: the session's connection, columns aggregated by SQLite, split by polars."""
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        frame = await IdentificationRepository(session).roster(COUNTY)
    await engine.dispose()
    return frame


async def load_sqlalchemy_result(url: str) -> pl.DataFrame:
    """The plain way: session.execute → Result rows → polars."""
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        result = await session.execute(text(ROSTER_SQL))
        frame = pl.DataFrame(result.all(), schema=rules.ROSTER_SCHEMA, orient="row")
    await engine.dispose()
    return frame


def python_baseline(path: Path) -> tuple[float, float, int]:
    """Rows loaded as tuples (timed apart), then a dict join in plain Python on the same keys
    the rules join on (the blind indexes of the ID and of the name with the birth date)."""
    db = sqlite3.connect(path)
    start = time.perf_counter()
    roster = db.execute(ROSTER_SQL).fetchall()
    entries = db.execute(
        "SELECT citizen_id_index, name_born_index, category, valid_from, valid_until"
        " FROM category_list_entry"
    ).fetchall()
    loaded = time.perf_counter() - start
    db.close()
    start = time.perf_counter()
    by_id: dict[str, list[tuple[str, str, str, str | None]]] = {}
    for cid, name, category, valid_from, valid_until in entries:
        by_id.setdefault(cid, []).append((name, category, valid_from, valid_until))
    day = AS_OF.isoformat()
    auto: set[str] = set()
    for student_id, cid, name, _ in roster:
        for listed_name, _, valid_from, valid_until in by_id.get(cid, ()):
            valid = valid_from <= day and (valid_until is None or day <= valid_until)
            if valid and listed_name == name:
                auto.add(student_id)
    return loaded, time.perf_counter() - start, len(auto)


BENCH_KEYS = fieldcrypt.new_key("bench"), fieldcrypt.new_index_key()


def main() -> None:
    fieldcrypt.configure(*BENCH_KEYS)  # the service's start-up would (the snapshot is sealed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "assistance.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(service_dir("assistance"), url)
        started = time.perf_counter()
        seed(path)
        print(f"seeded {STUDENTS:,} students and 4 lists in {time.perf_counter() - started:.1f} s")

        loads: dict[str, Callable[[], pl.DataFrame]] = {
            "service (columnar dump)": lambda: asyncio.run(load_service(url)),
            "previous (aiosqlite rows)": lambda: asyncio.run(load_rows(url)),
            "SQLAlchemy Result → polars": lambda: asyncio.run(load_sqlalchemy_result(url)),
            "sqlite3 cursor → polars": lambda: load_sqlite3(path),
            "pl.read_database(sqlite3)": lambda: load_read_database(path),
        }
        print("loading the roster (median of 3; wall, CPU of this process):")
        for label, load in loads.items():
            times, cpu = [], []
            for _ in range(3):
                start, started_cpu = time.perf_counter(), time.process_time()
                height = load().height
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - started_cpu)
            print(
                f"  {label:<28} {statistics.median(times):6.2f} s  CPU"
                f" {statistics.median(cpu):5.2f} s  ({height:,} rows)"
            )

        scans = [asyncio.run(scan(url)) for _ in range(ROUNDS)]
        scan_s = statistics.median(t for t, _ in scans)
        found = scans[0][1]
        scan_cpu = statistics.median(c["cpu_ms"] for _, c in scans) / 1000
        print(
            f"scan (load + rules, no writes): median {scan_s:.2f} s over {ROUNDS} →"
            f" {found['students'] / scan_s:,.0f} students/s (goal ≤ 3 s); CPU {scan_cpu:.2f} s"
            f" (polars threads included); {found}"
        )
        stale = []
        for _ in range(ROUNDS):  # each round after a roster write: read the tables, store anew
            asyncio.run(bump_roster(url))
            stale.append(asyncio.run(scan(url, "snapshot")))
        assert not any(c["snapshot_hit"] for _, c in stale)
        stale_s = statistics.median(t for t, _ in stale)
        print(
            f"scan, stale snapshot (rebuild: dump + encode + store): median {stale_s:.2f} s →"
            f" {found['students'] / stale_s:,.0f} students/s; CPU"
            f" {statistics.median(c['cpu_ms'] for _, c in stale) / 1000:.2f} s"
        )
        fresh = [asyncio.run(scan(url, "snapshot")) for _ in range(ROUNDS)]
        assert all(c["snapshot_hit"] for _, c in fresh)
        assert {k: v for k, v in fresh[0][1].items() if k not in ("cpu_ms", "snapshot_hit")} == {
            k: v for k, v in found.items() if k not in ("cpu_ms", "snapshot_hit")
        }
        snap_s = statistics.median(t for t, _ in fresh)
        print(
            f"scan from snapshot (load + rules): median {snap_s:.2f} s over {ROUNDS} →"
            f" {found['students'] / snap_s:,.0f} students/s (goal ≤ 3 s); CPU"
            f" {statistics.median(c['cpu_ms'] for _, c in fresh) / 1000:.2f} s"
        )
        loaded, joined, auto = python_baseline(path)
        print(
            f"baseline plain-Python dict join: {joined:.2f} s after {loaded:.2f} s of sqlite3"
            f" loading ({auto:,} auto-identified; polars rules found {found['auto']:,})"
        )
        print(f"ratio scan / (sqlite3 load + Python join): {scan_s / (loaded + joined):.2f}")
        print(
            f"ratio scan from snapshot / (sqlite3 load + Python join):"
            f" {snap_s / (loaded + joined):.2f}"
        )
        if os.environ.get("BENCH_FULL_JOB", "1") == "0":  # the scan's figures only
            return
        first, counts = asyncio.run(full_job(url))
        print(
            f"first full job (scan + {counts['proposed']:,} proposed awards, "
            f"{counts['review_items']:,} review items, {counts['notices']:,} notices, "
            f"coverage, event; committed): {first:.2f} s → {counts['students'] / first:,.0f}"
            " students/s"
        )
        steady = [asyncio.run(full_job(url)) for _ in range(ROUNDS)]
        steady_s = statistics.median(t for t, _ in steady)
        print(
            f"steady-state full job (nothing new to propose): median {steady_s:.2f} s over"
            f" {ROUNDS} → {counts['students'] / steady_s:,.0f} students/s"
        )


if __name__ == "__main__":
    main()
