"""`make bench`: 入学申请导入 — 50,000 applications from one CSV sheet (SQLite file, in-process).

A synthetic county near Dongsheng: 40 single-school primary zones (a 8 × 5 grid of 0.01°
squares), 40 registered schools, no priority policy (the 08-31 entry cut-off applies). The sheet
has 50,000 grade-1 applications of children living in random zones (every 10th a 随迁子女 with a
居住证), all valid.

Timed (median of ROUNDS, each on a fresh copy of the seeded database): `admission.sheet.
import_applications` — column-wise read, the schema's cell checks as polars expressions, the
rules per column, one vectorised zone lookup, duplicate checks, column-wise inserts of
applications, trail entries and outbox events — then commit; once from CSV and once from the same
rows as an XLSX workbook (numbers and dates as typed cells, read through calamine). Wall and CPU
seconds (`time.process_time`, the SQLite thread included) are both printed: on a shared machine
the wall figure is mostly waiting for a core. Baseline in the same run: the submission use-case
one application at a time (`admission.submission.submit_applications` with a batch of one, what
POST /v1/applications runs for a lone family) on a 1,000-row subset, scaled ×50.

学校信息表: 2,000 new schools of one county from CSV and from XLSX through
`schools.sheet.import_schools` (column-wise read, polars cell checks, one registry join,
column-wise INSERT, events encoded by polars) against the row-by-row import it replaced, kept
below as `row_by_row_school_import` (openpyxl `read_records`, the schema over every row, a
dict and a pydantic event per row), in the same run on fresh copies of the same database.

Usage: `python benchmarks/enrollment_import.py [rounds]` (default 3).
"""

import asyncio
import csv
import io
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, insert, select

from enrollment.admission import sheet, submission
from enrollment.admission.models import Application
from enrollment.admission.schemas import ApplicationCreate
from enrollment.imports import sheets
from enrollment.imports.sheets import validated
from enrollment.schools import sheet as school_sheet
from enrollment.schools.models import School
from enrollment.zoning.schemas import ZoneMapCreate
from enrollment.zoning.service import create_zone_map
from junheng_contracts.enrollment import SchoolData, SchoolRegistered
from junheng_kit import fieldcrypt
from junheng_kit.auth import Jurisdiction, Principal
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.gc_pause import collector_paused
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.ids import uuid7
from junheng_kit.messaging.bulk import add_events
from junheng_kit.migrations import service_dir, upgrade
from junheng_kit.problems import FieldError
from junheng_kit.tabular import (
    CSV,
    XLSX,
    read_records,
    reject_rows,
    row_errors,
    write_csv,
    write_xlsx,
)
from junheng_kit.timeutil import utcnow

ROWS, BASELINE_ROWS, COLUMNS_X, ROWS_Y, YEAR, GOAL_S = 50_000, 1_000, 8, 5, 2025, 10.0
SCHOOLS = 2_000
X0, Y0, CELL = 109.90, 39.78, 0.01
PRINCIPAL = Principal(
    "bench", frozenset({"enrollment:read", "enrollment:write"}), Jurisdiction(("150602",))
)
SECRET = b"bench-pseudonym-key"
TODAY = date(2025, 5, 1)


def school_code(i: int) -> str:
    return f"2115{i:06d}"


def zone_map() -> ZoneMapCreate:
    features = []
    for i in range(COLUMNS_X * ROWS_Y):
        x, y = X0 + (i % COLUMNS_X) * CELL, Y0 + (i // COLUMNS_X) * CELL
        ring = [[x, y], [x + CELL, y], [x + CELL, y + CELL], [x, y + CELL], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"zone_code": f"Z{i:02d}", "name": f"片区{i}",
                               "school_codes": [school_code(i)]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )  # fmt: skip
    return ZoneMapCreate.model_validate(
        {
            "county_code": "150602",
            "level": "primary",
            "year": YEAR,
            "effective_from": "2025-01-01",
            "zones": {"type": "FeatureCollection", "features": features},
        }
    )


def sheet_rows(n: int, seed: int = 5) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        birth = date(2018, 9, 1 + i % 28) if i % 2 else date(2019, 1 + i % 8, 1 + i % 28)
        body = f"15{i // 1000:04d}{birth:%Y%m%d}{i % 1000:03d}"  # unique: area carries i // 1000
        migrant = i % 10 == 0
        rows.append(
            {
                "grade": 1,
                "child_citizen_id": body + citizen_id_check_character(body),
                "child_name": f"学生{i}",
                "birth_date": birth.isoformat(),
                "guardian_name": f"家长{i}",
                "guardian_relation": rng.choice(["父亲", "母亲"]),
                "guardian_phone": f"138{i:08d}",
                "hukou_county_code": "130102" if migrant else "150602",
                "hukou_type": "城镇",
                "hukou_address": "某街道",
                "housing": "租赁" if migrant else "自有住房",
                "residence_permit_issued_on": "2023-03-01" if migrant else None,
                "social_insurance_months": rng.randint(0, 60),
                "home_address": f"某路{i}号",
                "home_longitude": round(X0 + rng.uniform(0.0005, COLUMNS_X * CELL - 0.0005), 6),
                "home_latitude": round(Y0 + rng.uniform(0.0005, ROWS_Y * CELL - 0.0005), 6),
            }
        )
    return rows


def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in sheet.COLUMNS])
    for row in rows:
        writer.writerow(["" if row.get(c.field) is None else row[c.field] for c in sheet.COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: list[dict[str, Any]]) -> bytes:
    """The rows as a bureau's workbook: grade, months and coordinates as numbers, the birth and
    居住证 dates as date cells."""
    typed = []
    for row in rows:
        cells = dict(row)
        cells["birth_date"] = date.fromisoformat(row["birth_date"])
        if row["residence_permit_issued_on"] is not None:
            cells["residence_permit_issued_on"] = date.fromisoformat(
                row["residence_permit_issued_on"]
            )
        typed.append([cells.get(c.field) for c in sheet.COLUMNS])
    return write_xlsx(sheet.COLUMNS, typed, "入学申请")


def school_sheet_rows(n: int) -> list[list[Any]]:
    """New schools as a bureau types them in a workbook: codes, coordinates and seats as
    numbers, 学段 as Chinese labels."""
    rng = random.Random(7)
    return [
        [int(f"2215{i:06d}"), f"东胜区第{i}学校", rng.choice(["小学", "初中", "小学、初中"]),
         150602, round(X0 + rng.uniform(0, 0.08), 6), round(Y0 + rng.uniform(0, 0.05), 6),
         rng.randint(300, 3000)]
        for i in range(n)
    ]  # fmt: skip


async def row_by_row_school_import(session: Any, content: bytes, media_type: str) -> int:
    """The school import before it became column-wise (the baseline): openpyxl records, the
    schema over every row, per-row dicts and checks, one pydantic event per school."""
    records = read_records(content, media_type, school_sheet.COLUMNS)
    rows = sheets.validated(
        school_sheet.SHEET, records, school_sheet.record_shape, school_sheet.column_of
    )
    numbers = [r.row for r in records]
    sheets.require_counties(
        PRINCIPAL, [(n, "county_code", r.county_code) for r, n in zip(rows, numbers, strict=True)]
    )
    counts = Counter(r.school_code for r in rows)
    first: dict[str, int] = {}
    errors: list[FieldError] = []
    for row, number in zip(rows, numbers, strict=True):
        if counts[row.school_code] > 1 and row.school_code in first:
            errors += row_errors(
                number,
                [FieldError("school_code", "school_code_unique", f"row {first[row.school_code]}")],
            )
        first.setdefault(row.school_code, number)
    existing = {
        s.school_code: s
        for s in await session.scalars(select(School).where(School.school_code.in_(list(counts))))
    }
    for row, number in zip(rows, numbers, strict=True):
        known = existing.get(row.school_code)
        if known is not None and not PRINCIPAL.jurisdiction.covers_code(known.county_code):
            errors += row_errors(number, [FieldError("school_code", "jurisdiction", "outside")])
    reject_rows(errors)
    now = utcnow()
    inserts, events = [], []
    for row in rows:
        values = {
            "name": row.name, "levels": list(row.levels), "county_code": row.county_code,
            "longitude": row.location.longitude, "latitude": row.location.latitude,
            "planned_capacity": row.planned_capacity,
        }  # fmt: skip
        if row.school_code not in existing:  # every school of this sheet is new
            inserts.append(
                {**values, "school_code": row.school_code, "version": 1, "created_at": now,
                 "updated_at": now}
            )  # fmt: skip
            events.append(
                SchoolRegistered.of(
                    subject=row.school_code,
                    jurisdiction=row.county_code,
                    data=SchoolData(school_code=row.school_code, version=1, **values),
                )
            )
    table = cast(Table, School.__table__)
    for start in range(0, len(inserts), 2000):
        await session.execute(insert(table), inserts[start : start + 2000])
    await add_events(session, events)
    return len(inserts)


async def timed_school_import(
    template: Path, content: bytes, media_type: str, *, baseline: bool
) -> tuple[float, float]:
    path = template.with_name(f"run-{uuid7()}.sqlite3")
    shutil.copy(template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with create_sessionmaker(engine)() as session:
        start, cpu = time.perf_counter(), time.process_time()
        if baseline:
            created = await row_by_row_school_import(session, content, media_type)
        else:
            created = (
                await school_sheet.import_schools(
                    session, PRINCIPAL, content=content, media_type=media_type
                )
            ).created
        await session.commit()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        stored = await session.scalar(select(func.count()).select_from(School))
    assert created == SCHOOLS
    assert stored == SCHOOLS + COLUMNS_X * ROWS_Y
    await engine.dispose()
    return elapsed, cpu


async def seeded_template(directory: Path) -> Path:
    path = directory / "template.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, service_dir("enrollment"), url)  # alembic runs its own loop
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        now = utcnow()
        await session.execute(
            insert(School),
            [
                {"school_code": school_code(i), "name": f"学校{i}", "levels": ["primary"],
                 "county_code": "150602", "longitude": X0, "latitude": Y0,
                 "planned_capacity": 2000, "version": 1, "created_at": now, "updated_at": now}
                for i in range(COLUMNS_X * ROWS_Y)
            ],
        )  # fmt: skip
        await create_zone_map(session, PRINCIPAL, request=zone_map())
        await session.commit()
    await engine.dispose()
    return path


async def timed_import(
    template: Path, content: bytes, media_type: str, rows: int
) -> tuple[float, float]:
    path = template.with_name(f"run-{uuid7()}.sqlite3")
    shutil.copy(template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with create_sessionmaker(engine)() as session:
        start, cpu = time.perf_counter(), time.process_time()
        with collector_paused():  # as the import route runs it
            outcome = await sheet.import_applications(
                session, PRINCIPAL, county_code="150602", year=YEAR, content=content,
                media_type=media_type, secret=SECRET, today=TODAY,
            )  # fmt: skip
        await session.commit()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        stored = await session.scalar(select(func.count()).select_from(Application))
    assert outcome.record.created == stored == rows
    await engine.dispose()
    return elapsed, cpu


async def timed_per_row(template: Path, content: bytes) -> tuple[float, float]:
    path = template.with_name(f"run-{uuid7()}.sqlite3")
    shutil.copy(template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    records = read_records(content, CSV, sheet.COLUMNS)
    requests: list[ApplicationCreate] = validated(
        sheet.SHEET, records, sheet.record_shape("150602", YEAR), sheet.column_of
    )
    async with create_sessionmaker(engine)() as session:
        start, cpu = time.perf_counter(), time.process_time()
        for request in requests:  # one submission at a time, as the API took them before imports
            await submission.submit_applications(
                session, [submission.Submission(PRINCIPAL, request)], secret=SECRET, today=TODAY
            )
        await session.commit()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    await engine.dispose()
    return elapsed, cpu


async def main(rounds: int) -> None:
    # the personal columns are encrypted at rest (issue 20 item 3): the dev-only keys, as the
    # service runs in dev; the timings include encrypting them and their blind indexes
    fieldcrypt.configure(*fieldcrypt.dev_field_keys())
    with tempfile.TemporaryDirectory() as directory:
        template = await seeded_template(Path(directory))
        rows = sheet_rows(ROWS)
        content, workbook = csv_bytes(rows), xlsx_bytes(rows)
        runs = [await timed_import(template, content, CSV, ROWS) for _ in range(rounds)]
        xlsx_runs = [await timed_import(template, workbook, XLSX, ROWS) for _ in range(rounds)]
        per_row, per_row_cpu = await timed_per_row(template, csv_bytes(rows[:BASELINE_ROWS]))
        schools = school_sheet_rows(SCHOOLS)
        school_files = {
            CSV: write_csv(school_sheet.COLUMNS, schools),
            XLSX: write_xlsx(school_sheet.COLUMNS, schools, "学校"),
        }
        school_runs: dict[tuple[str, bool], list[tuple[float, float]]] = {}
        for _ in range(rounds):
            for media_type, school_content in school_files.items():
                for baseline in (True, False):
                    school_runs.setdefault((media_type, baseline), []).append(
                        await timed_school_import(
                            template, school_content, media_type, baseline=baseline
                        )
                    )
    bulk = statistics.median(t for t, _ in runs)
    bulk_cpu = statistics.median(c for _, c in runs)
    scale = ROWS / BASELINE_ROWS
    # CPU seconds of this process (SQLite runs in its thread) say more than wall time when
    # other work shares the machine
    print(f"application import, {ROWS:,} rows (CSV, SQLite), median of {rounds}: {bulk:.2f} s "
          f"wall, {bulk_cpu:.2f} s CPU (goal ≤ {GOAL_S:.0f} s)")  # fmt: skip
    print(f"same rows as XLSX (calamine), median of {rounds}: "
          f"{statistics.median(t for t, _ in xlsx_runs):.2f} s wall, "
          f"{statistics.median(c for _, c in xlsx_runs):.2f} s CPU")  # fmt: skip
    print(f"baseline: POST use-case per row, {BASELINE_ROWS:,} rows in {per_row:.2f} s wall / "
          f"{per_row_cpu:.2f} s CPU, scaled to {ROWS:,}: {per_row * scale:.1f} s wall, "
          f"{per_row_cpu * scale:.1f} s CPU")  # fmt: skip
    print(
        f"ratio baseline / bulk: {per_row * scale / bulk:.1f}× wall, "
        f"{per_row_cpu * scale / bulk_cpu:.1f}× CPU; load average {_load()}"
    )
    for media_type, label in ((CSV, "CSV"), (XLSX, "XLSX")):
        new = school_runs[(media_type, False)]
        old = school_runs[(media_type, True)]
        wall, cpu = statistics.median(t for t, _ in new), statistics.median(c for _, c in new)
        old_wall, old_cpu = (
            statistics.median(t for t, _ in old),
            statistics.median(c for _, c in old),
        )
        print(f"school import, {SCHOOLS:,} new schools ({label}), median of {rounds}: "
              f"{wall:.3f} s wall, {cpu:.3f} s CPU; baseline row-by-row import {old_wall:.3f} s "
              f"wall, {old_cpu:.3f} s CPU; ratio {old_wall / wall:.1f}× wall, "
              f"{old_cpu / cpu:.1f}× CPU")  # fmt: skip


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "n/a"


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
