"""`make bench`: the teacher registry at county and province scale (SQLite file, in-process).

- import: 50,000-row 教师信息表 (CSV, and once XLSX) through `sheet.import_teachers` — parse,
  validate the sheet in one pass, set checks, bulk inserts, outbox rows, per-school counts,
  commit (goal ≤ 10 s). Baseline in the same run: the per-row use-case (`register_teacher`, one
  ORM insert and one recount per teacher) on a 2,000-row subset, scaled ×25.
- stats: indicators 1–3 for every school of a 200,000-teacher registry by one GROUP BY, against
  loading the rows and counting them in Python.
Medians of a few rounds; numbers on a shared 2-core machine are noisy, so the import also
reports the process CPU time (every thread, the SQLite driver's included), which other
processes' load does not inflate.
"""

import asyncio
import csv
import io
import random
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from junheng_kit import fieldcrypt
from junheng_kit.auth import Jurisdiction, Principal
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.ids import uuid7
from junheng_kit.migrations import service_dir, upgrade
from junheng_kit.tabular import CSV, XLSX, write_xlsx
from junheng_kit.timeutil import utcnow
from staffing.schools.models import School
from staffing.teachers import repository, rules, service, sheet
from staffing.teachers.codes import PostType, Section, StaffingStatus, TeacherStatus
from staffing.teachers.models import Teacher
from staffing.teachers.schemas import TeacherCreate

ROWS, BASELINE_ROWS, SCHOOLS, PROVINCE, ROUNDS = 50_000, 2_000, 1_000, 200_000, 3
PRINCIPAL = Principal("bench", frozenset({"staffing:write"}), Jurisdiction(("150602",)))
SUBJECTS = ["语文", "数学", "英语", "体育", "音乐", "美术", "科学"]
DEGREES = ["中专", "专科", "本科", "硕士研究生"]


def school_code(i: int) -> str:
    return f"2115{i:06d}"


def sheet_rows(n: int, seed: int = 3) -> list[list[Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        birth = date(1965 + i % 35, 1 + i % 12, 1 + i % 28)
        body = f"150602{birth:%Y%m%d}{i % 1000:03d}"
        body = f"15{i // 1000 % 10000:04d}{body[6:]}"  # unique: area digits carry i // 1000
        rows.append(
            [
                body + citizen_id_check_character(body),
                f"教师{i}",
                None,
                birth.isoformat(),
                school_code(i % SCHOOLS),
                "小学",
                "2015-09-01",
                "专任",
                rng.choice(SUBJECTS),
                rng.choice(["一级", "二级", "高级"]),
                rng.choice(DEGREES),
                rng.choice([None, None, None, "县级", "市级"]),
                "在编",
                "2000-09-01",
                "在职",
                None,
            ]
        )
    return rows


def csv_bytes(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.title for c in sheet.COLUMNS])
    writer.writerows(["" if v is None else v for v in r] for r in rows)
    return out.getvalue().encode("utf-8-sig")


async def seeded_template(directory: Path) -> Path:
    path = directory / "template.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, service_dir("staffing"), url)  # alembic runs its own loop
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        await session.execute(
            insert(School),
            [
                {
                    "school_code": school_code(i),
                    "name": f"学校{i}",
                    "levels": ["primary"],
                    "county_code": "150602",
                    "longitude": 110.0,
                    "latitude": 39.8,
                    "planned_capacity": 1000,
                    "version": 1,
                    "source_event_id": "bench",
                    "synced_at": utcnow(),
                }
                for i in range(SCHOOLS)
            ],
        )
        await session.commit()
    await engine.dispose()
    return path


CPU: dict[str, list[float]] = {}


async def timed_import(template: Path, content: bytes, media_type: str) -> float:
    path = template.with_name(f"run-{uuid7()}.sqlite3")
    shutil.copy(template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with create_sessionmaker(engine)() as session:
        start, cpu = time.perf_counter(), time.process_time()
        record = await sheet.import_teachers(
            session, PRINCIPAL, content=content, media_type=media_type
        )
        await session.commit()
        elapsed = time.perf_counter() - start
        CPU.setdefault(media_type, []).append(time.process_time() - cpu)
    assert record.registered == content.count(b"\n") - 1 or media_type == XLSX
    await engine.dispose()
    return elapsed


async def timed_per_row(template: Path, rows: list[list[Any]]) -> float:
    path = template.with_name(f"run-{uuid7()}.sqlite3")
    shutil.copy(template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    fields = [c.field for c in sheet.COLUMNS]
    requests = [
        TeacherCreate.model_validate(
            {
                f: v
                for f, v in zip(fields, [*r, *[None] * (len(fields) - len(r))], strict=True)
                if v is not None and f != "rural_service"
            }
        )
        for r in rows
    ]
    async with create_sessionmaker(engine)() as session:
        start = time.perf_counter()
        for request in requests:
            await service.register_teacher(session, PRINCIPAL, request=request)
        await session.commit()
        elapsed = time.perf_counter() - start
    await engine.dispose()
    return elapsed


async def province(template: Path) -> tuple[list[float], list[float]]:
    path = template.with_name("province.sqlite3")
    shutil.copy(template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    rng = random.Random(11)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        rows = [
            {
                "id": uuid7(),
                "citizen_id": f"{i:018d}",
                "name": "x",
                "gender": "male",
                "birth_date": date(1980, 1, 1),
                "school_code": school_code(i % SCHOOLS),
                "county_code": "150602",
                "section": Section.PRIMARY,
                "school_joined_on": date(2015, 9, 1),
                "post_type": rng.choice([PostType.FULL_TIME] * 9 + [PostType.AUXILIARY]),
                "main_subject": rng.choice(["chinese", "pe", "music", "art", "mathematics"]),
                "subjects": [],
                "title": "first",
                "degree": rng.choice(["secondary_vocational", "junior_college", "bachelor"]),
                "backbone_level": rng.choice([None, None, "school", "county", "city"]),
                "staffing_status": rng.choice(
                    [StaffingStatus.IN_QUOTA] * 9 + [StaffingStatus.SECONDED]
                ),
                "hire_date": date(2000, 9, 1),
                "status": TeacherStatus.ACTIVE,
            }
            for i in range(PROVINCE)
        ]
        for part in repository.chunks(rows):
            await session.execute(insert(Teacher), part)
        await session.commit()
    sets = rules.indicator_sets(date(2025, 9, 1))
    grouped, looped = [], []
    for _ in range(ROUNDS):
        async with sessionmaker() as session:
            start = time.perf_counter()
            counts = await repository.section_counts(session, None, sets)
            grouped.append(time.perf_counter() - start)
        async with sessionmaker() as session:
            start = time.perf_counter()
            python: dict[str, list[int]] = {}
            result = await session.execute(
                select(
                    Teacher.school_code,
                    Teacher.section,
                    Teacher.post_type,
                    Teacher.staffing_status,
                    Teacher.status,
                    Teacher.degree,
                    Teacher.backbone_level,
                    Teacher.main_subject,
                )
            )
            for code, section, post, staffing, status, degree, backbone, subject in result:
                if not rules.counts_as_full_time(post, staffing, status):
                    continue
                entry = python.setdefault(code, [0, 0, 0, 0])
                entry[0] += 1
                entry[1] += degree in sets.qualifying_degrees[section]
                entry[2] += backbone in sets.backbone_levels
                entry[3] += subject in sets.pe_arts_subjects
            looped.append(time.perf_counter() - start)
        first = counts[(school_code(0), Section.PRIMARY)]
        assert python[school_code(0)] == [
            first.full_time_teachers,
            first.teachers_above_required_degree,
            first.backbone_teachers,
            first.pe_arts_teachers,
        ]
    await engine.dispose()
    return grouped, looped


async def main() -> None:
    # the service's start-up would: IDs and names are stored encrypted (bench-only keys)
    fieldcrypt.configure(fieldcrypt.new_key("bench"), fieldcrypt.new_index_key())
    with tempfile.TemporaryDirectory() as directory:
        template = await seeded_template(Path(directory))
        rows = sheet_rows(ROWS)
        content = csv_bytes(rows)
        xlsx = write_xlsx(sheet.COLUMNS, rows, "教师信息")
        csv_times = [await timed_import(template, content, CSV) for _ in range(ROUNDS)]
        xlsx_time = await timed_import(template, xlsx, XLSX)
        per_row = await timed_per_row(template, rows[:BASELINE_ROWS]) * (ROWS / BASELINE_ROWS)
        grouped, looped = await province(template)
    csv_median = statistics.median(csv_times)
    ratio = statistics.median(looped) / statistics.median(grouped)
    print(
        f"import {ROWS:,} rows, CSV: median {csv_median:.2f} s (goal ≤ 10 s), "
        f"CPU {statistics.median(CPU[CSV]):.2f} s"
    )
    print(f"import {ROWS:,} rows, XLSX: {xlsx_time:.2f} s (one round), CPU {CPU[XLSX][0]:.2f} s")
    print(
        f"baseline per-row use-case, {BASELINE_ROWS:,} rows scaled ×{ROWS // BASELINE_ROWS}: "
        f"{per_row:.1f} s → set-based import {per_row / csv_median:.0f}× faster"
    )
    print(
        f"stats for {PROVINCE:,} teachers in {SCHOOLS:,} schools: GROUP BY median "
        f"{statistics.median(grouped) * 1000:.0f} ms, Python loop over rows "
        f"{statistics.median(looped) * 1000:.0f} ms (×{ratio:.1f})"
    )


if __name__ == "__main__":
    asyncio.run(main())
