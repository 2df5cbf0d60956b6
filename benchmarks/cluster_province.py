"""`make bench-cluster`: province-scale figures (issue 17, part 7) — the production topology
against single-node SQLite, in one run on this machine.

Topologies, one after the other, each loaded with the same province:
- **single node** — `junheng_devtools.system.System`: SQLite, one nats-server, one process
  per service, one gateway;
- **cluster** — `junheng_devtools.cluster.Cluster`: PostgreSQL with a role per service, a
  3-node NATS JetStream cluster (identities, permissions, TLS, R3 streams), two replicas of
  each service and two gateways, `JUNHENG_ENV=prod`.
Both run with the same limits (gateway rate limits out of the way, JUNHENG_LOG_LEVEL=WARNING) and
neither fsyncs a commit (SQLite WAL with synchronous=NORMAL; PostgreSQL with fsync=off, as the
kit's PostgreSQL always runs on this machine).

The province (Inner Mongolia's size; JUNHENG_BENCH_SCALE scales every count, default 1.0): its
103 county-level divisions (GB/T 2260, 150102 … 152923), 2,600 schools (the demo county's 12 and
invented ones, ~25 a county, two thirds primary), 2,000,000 pupils on the aid roster with four
agencies' lists per county (the shares and name variants of assistance_identification.py),
400,000 applications, 200,000 teachers. Loaded as a province would load it:
- schools: one 学校信息表 through the gateway (POST /enrollment/v1/school-imports); enrollment's
  events fill the copies in staffing, assistance and evaluation (the bench waits for all three);
- applications: every county but the demo one gets a zone map (a 单校 zone per primary school)
  and its 入学申请 sheet (POST /enrollment/v1/application-imports, the rows of
  enrollment_import.py placed in the county): 90 % of the 400,000. The demo county gets its
  intake as `make run` loads it and takes the submissions of figure 1, which add the rest (how
  many depends on the rate measured; the report gives the final count);
- teachers: 教师信息表 sheets of 10,000 rows (POST /staffing/v1/teacher-imports, the rows of
  staffing_import.py placed in the province's schools);
- roster and lists: written straight into assistance's database, set-based (COPY on
  PostgreSQL, column-wise executemany on SQLite), as an import and the agencies' fetched lists
  would leave them (IDs and names encrypted with the cluster's assistance keys and their blind
  indexes added, as the service stores them since a0013; 2,000,000 calls would measure the
  loading, not the scan);
- assessments: one per county, its schools' sections sent explicitly (POST
  /evaluation/v1/assessments, the sections of evaluation_assessment.py).
Before each figure the system is settled: every outbox published, every durable caught up.
For figures 1 and 3 the CPU time each role's processes spent (replicas summed; "other" is the
rest of the machine: PostgreSQL, wrk, this process and anything else running) is divided by the
submissions accepted or the changes committed: what dominates.

Figures (wrk is the load generator: C, next to nothing beside the services on two cores):
1. **submissions/s** — application submissions accepted per second (201, not replayed), wrk with
   benchmarks/submissions.lua and enrollment_gateway.py's bodies, CLIENTS connections for
   PHASE_SECONDS: the single node through its gateway; the cluster through both gateways at
   once (one wrk each, half the connections). Median of ROUNDS.
2. **status reads/s** — GET /enrollment/v1/applications/{id} answered 200 per second, the id drawn
   at random from every application in the database (benchmarks/status_reads.lua), same
   connections and split. Median of ROUNDS.
3. **event latency** — school changes (PATCH /enrollment/v1/schools/{code}, one
   `enrollment.school.updated` each, consumed by staffing, assistance and evaluation) at each
   of EVENT_RATES per second (the goal's 1,000, then 50, a rate two cores keep up with) for
   EVENT_SECONDS (benchmarks/school_updates.lua: open loop, each request on a fixed timeline,
   split over the gateways), then settled. Per event and consumer:
   `processed_message.processed_at` in the consumer's database minus
   `outbox_message.created_at` in enrollment's, matched by event id; p50 and p99 over every
   (event, consumer) pair. What that covers: from the producer's INSERT of the outbox row —
   inside the transaction that changes the school, moments before its COMMIT — through that
   commit, the relay's wake-up, read and JetStream publish (acknowledged by the stream:
   replicated to 3 nodes in the cluster), the consumer's fetch, the event's validation and
   the consumer's INSERT of its inbox row. Left out at the consumer's end: the handler (one
   upsert of the school copy) and its COMMIT, one single-row transaction (a millisecond or
   a few), so the figure understates the commit-to-commit time by about that much.
   Neither database keeps commit times usable for this (the relay rewrites every outbox row
   when it marks it sent; SQLite has none), so both stamps are the rows' own, taken by one
   clock (every process runs on this machine). A pair never processed within the settle
   timeout counts as slower than any.
4. **province 应助尽助 scan** — for every county, what an identification job does between
   "loading" and "writing" (`assistance.identification.loading.load` + `service.compute`: the
   county's roster, current lists, the year's awards and programmes into polars, then the rules), in
   this process against the topology's assistance database (the cluster's PostgreSQL as a
   replica would read it); summed over the counties. Twice per round: after a roster write
   (`versions.bump`: the roster is read from the tables, the job's first run after an import;
   the snapshot each county's job would keep is then stored, not timed) and from the stored
   snapshots (every later job). Baseline in the same run: the rules once over every county's
   frames together, as if the province were one county. Median of ROUNDS.
5. **roll-up** — GET /evaluation/v1/rollups?region_code=15 (every county's newest assessment)
   through the gateway(s): client wall time and the service's own Server-Timing. Median of
   evaluation_assessment.py's ROLLUP_ROUNDS after one warm-up.

Goals (issue 17): the cluster keeps ≥ 0.8 × the single node's submissions/s and reads/s on the
same two cores; event p99 < 100 ms; the 2,000,000-pupil scan ≤ 6 s. The table gives each figure
for both topologies, the ratio cluster ÷ single, and each goal met or not; the figures also go
to `province-figures.json` in the run's var directory (JUNHENG_BENCH_VAR, default
var/bench-cluster/, wiped at the start; each topology's logs stay in its subdirectory, its
databases and streams are removed once it stops).

Environment: JUNHENG_BENCH_SCALE (1.0), JUNHENG_BENCH_PHASE_SECONDS (per wrk phase of figures 1
and 2, 10), JUNHENG_BENCH_ROUNDS (2), JUNHENG_BENCH_CLIENTS (64), JUNHENG_BENCH_EVENT_RATES
(`1000,50` per second), JUNHENG_BENCH_EVENT_SECONDS (20), JUNHENG_BENCH_TOPOLOGIES
(`single,cluster`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import math
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import polars as pl
from junheng_devtools.cluster import Cluster
from junheng_devtools.demo import load_demo_county, load_demo_enrollment
from junheng_devtools.system import ALL_SCOPES, SERVICES, System
from nats.aio.client import Client
from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from assistance.agencies.models import CategoryList, CategoryListEntry
from assistance.identification import service as identification
from assistance.identification.models import IdentificationJob
from assistance.students import versions
from assistance.students.models import Student, citizen_id_index, name_born_index
from enrollment.admission.models import Application
from enrollment.schools.sheet import COLUMNS as SCHOOL_COLUMNS
from junheng_contracts import STREAMS
from junheng_kit import fieldcrypt
from junheng_kit.bulk_insert import insert_columns
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.durables import positions
from junheng_kit.gc_pause import collector_paused
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.ids import uuid7
from junheng_kit.messaging.connection import connect
from junheng_kit.processes import free_port
from junheng_kit.tables import OutboxMessage, ProcessedMessage
from junheng_kit.tabular import write_csv
from junheng_kit.timeutil import china_today, utcnow

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assistance_identification import GIVEN, LISTS, SURNAMES, variant
from enrollment_gateway import (
    WRK_THREADS,
    YEAR,
    bodies,
    cpu_seconds,
    submissions_result,
    write_bodies,
    wrk_submissions,
)
from enrollment_import import csv_bytes as application_sheet
from enrollment_import import sheet_rows as application_rows
from evaluation_assessment import ROLLUP_ROUNDS, synthetic_county
from staffing_import import csv_bytes as teacher_sheet
from staffing_import import sheet_rows as teacher_rows

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
SCALE = float(os.environ.get("JUNHENG_BENCH_SCALE", "1.0"))
PHASE_SECONDS = float(os.environ.get("JUNHENG_BENCH_PHASE_SECONDS", "10"))
ROUNDS = int(os.environ.get("JUNHENG_BENCH_ROUNDS", "2"))
CLIENTS = int(os.environ.get("JUNHENG_BENCH_CLIENTS", "64"))
EVENT_RATES = [float(r) for r in os.environ.get("JUNHENG_BENCH_EVENT_RATES", "1000,50").split(",")]
EVENT_SECONDS = float(os.environ.get("JUNHENG_BENCH_EVENT_SECONDS", "20"))
TOPOLOGIES = os.environ.get("JUNHENG_BENCH_TOPOLOGIES", "single,cluster").split(",")
VAR = Path(os.environ.get("JUNHENG_BENCH_VAR", ROOT / "var" / "bench-cluster")).resolve()

# 内蒙古自治区's county-level divisions (GB/T 2260), by league or city
COUNTIES = (
    *("150102", "150103", "150104", "150105", "150121", "150122", "150123", "150124"),
    *("150125", "150202", "150203", "150204", "150205", "150206", "150207", "150221"),
    *("150222", "150223", "150302", "150303", "150304", "150402", "150403", "150404"),
    *("150421", "150422", "150423", "150424", "150425", "150426", "150428", "150429"),
    *("150430", "150502", "150521", "150522", "150523", "150524", "150525", "150526"),
    *("150581", "150602", "150603", "150621", "150622", "150623", "150624", "150625"),
    *("150626", "150627", "150702", "150703", "150721", "150722", "150723", "150724"),
    *("150725", "150726", "150727", "150781", "150782", "150783", "150784", "150785"),
    *("150802", "150821", "150822", "150823", "150824", "150825", "150826", "150902"),
    *("150921", "150922", "150923", "150924", "150925", "150926", "150927", "150928"),
    *("150929", "150981", "152201", "152202", "152221", "152222", "152223", "152224"),
    *("152501", "152502", "152522", "152523", "152524", "152525", "152526", "152527"),
    *("152528", "152529", "152530", "152531", "152921", "152922", "152923"),
)
DEMO_COUNTY = "150602"  # its schools and intake are the demo's (make run); it takes submissions
DEMO_SCHOOLS = ROOT / "demo/150602-dongsheng-schools.json"
DEMO_INTAKE = ROOT / "demo/150602-enrollment.json"
SCHOOLS, PUPILS, APPLICATIONS, TEACHERS = 2_600, 2_000_000, 400_000, 200_000
IMPORTED_SHARE = 0.9  # of the applications: imported sheets; the submission phases add the rest
TEACHER_SHEET_ROWS = 10_000
PRIMARY, JUNIOR = "primary", "junior"
SECTION_LABEL = {PRIMARY: "小学", JUNIOR: "初中"}
CELL = 0.02  # degrees: a primary school's 单校 zone
SCHOOL_YEAR, AS_OF, ASSESSMENT_YEAR = 2026, date(2026, 9, 1), 2025
COPIES = ("staffing", "assistance", "evaluation")  # consumers of enrollment's school events
LIMITS = {  # the bench sends more than one client may in production
    "GATEWAY_RATE_LIMIT_PER_SECOND": "1000000",
    "GATEWAY_RATE_LIMIT_BURST": "1000000",
    "GATEWAY_TOKEN_ATTEMPTS_PER_ADDRESS_PER_MINUTE": "10000",
    "JUNHENG_LOG_LEVEL": "WARNING",
}
EVENT_CONNECTIONS = 32  # open loop: enough in flight for 1,000 changes/s at 30 ms each
SETTLE_TIMEOUT_S = 1800.0  # a province load on two cores: the cluster needs minutes
SUBMISSION_CHILDREN = 729_270  # distinct children enrollment_gateway.bodies() yields


def scaled(count: int, minimum: int = 1) -> int:
    return max(minimum, round(count * SCALE))


# --- the province, generated once for both topologies ----------------------------------------


@dataclass(frozen=True, slots=True)
class School:
    code: str
    name: str
    level: str
    county: str
    longitude: float
    latitude: float
    capacity: int


@dataclass
class Province:
    counties: list[str]
    schools: list[School]  # the invented ones (the demo county's twelve come from demo/)
    origins: dict[str, tuple[float, float]]  # county → south-west corner of its zone grid
    demo_schools: int
    roster: dict[str, list[Any]] = field(default_factory=dict)  # student columns
    lists: dict[str, list[Any]] = field(default_factory=dict)  # category_list columns
    entries: dict[str, list[Any]] = field(default_factory=dict)  # category_list_entry columns

    def schools_of(self, county: str, level: str | None = None) -> list[School]:
        return [s for s in self.schools if s.county == county and level in (None, s.level)]


def province() -> Province:
    """The counties, their schools and zone grids, the roster and the agencies' lists."""
    counties = [DEMO_COUNTY, *[c for c in COUNTIES if c != DEMO_COUNTY]][
        : scaled(len(COUNTIES), minimum=2)
    ]
    demo_schools = len(json.loads(DEMO_SCHOOLS.read_text())["schools"])
    invented = scaled(SCHOOLS, minimum=len(counties) + demo_schools) - demo_schools
    rng = random.Random(2600)
    schools, origins = [], {}
    for k, county in enumerate(counties):
        origins[county] = origin = (106.0 + (k % 12) * 1.2, 38.5 + (k // 12) * 0.6)
        count = invented // len(counties) + (k < invented % len(counties))
        levels = [JUNIOR if n % 3 == 2 else PRIMARY for n in range(count)]
        cells = levels.count(PRIMARY)
        for n, level in enumerate(levels):
            if level == PRIMARY:  # at the centre of its zone's cell
                x, y = _cell_corner(origin, n - n // 3, cells)
                longitude, latitude = x + CELL / 2, y + CELL / 2
            else:
                longitude = origin[0] + rng.uniform(0, CELL * math.sqrt(cells))
                latitude = origin[1] + rng.uniform(0, CELL * math.sqrt(cells))
            schools.append(
                School(
                    code=f"{'21' if level == PRIMARY else '31'}15{county[2:]}{20 + n:02d}",
                    name=f"{county}第{n + 1}{'小学' if level == PRIMARY else '中学'}",
                    level=level,
                    county=county,
                    longitude=round(longitude, 6),
                    latitude=round(latitude, 6),
                    capacity=rng.randint(300, 3000),
                )
            )
    found = Province(counties, schools, origins, demo_schools)
    roster_and_lists(found)
    return found


def _primary_grid(schools: list[School], county: str) -> list[School]:
    """The county's primary schools, in the order of their zones' cells."""
    return [s for s in schools if s.county == county and s.level == PRIMARY]


def _cell_corner(origin: tuple[float, float], cell: int, cells: int) -> tuple[float, float]:
    """South-west corner of cell `cell` of a county's square-ish grid of `cells` cells."""
    columns = math.ceil(math.sqrt(cells))
    return origin[0] + (cell % columns) * CELL, origin[1] + (cell // columns) * CELL


def roster_and_lists(found: Province) -> None:
    """PUPILS pupils spread over the counties and their schools (grade from the birth date, a
    school of that level), unique 公民身份号码 (county + birth date + serial); per county and
    agency a current list with LISTS' share of the county's pupils, 2 % of the names written
    otherwise, 3 % expired and 1 % people on no roster (as assistance_identification.py)."""
    rng = random.Random(2026)
    pupils = scaled(PUPILS)
    per_county = [pupils // len(found.counties)] * len(found.counties)
    per_county[0] += pupils - sum(per_county)
    students: list[tuple[Any, ...]] = []
    lists: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    for county, count in zip(found.counties, per_county, strict=True):
        schools = {
            level: found.schools_of(county, level) or found.schools_of(county)
            for level in (PRIMARY, JUNIOR)
        }
        first = len(students)
        for n in range(count):
            born = date(2011, 1, 1) + timedelta(days=n % 3285)  # nine birth years
            body = f"{county}{born:%Y%m%d}{n // 3285:03d}"
            grade = min(9, max(1, SCHOOL_YEAR - 5 - born.year - (born.month >= 9)))
            level = PRIMARY if grade <= 6 else JUNIOR
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            students.append(
                (uuid7(), body + citizen_id_check_character(body), f"k{len(students):031d}",
                 name, "female" if n % 2 else "male", born, county,
                 schools[level][n % len(schools[level])].code, level, grade)
            )  # fmt: skip
        for agency, (share, categories) in LISTS.items():
            list_ref = uuid7()
            picked = [
                students[row] for row in rng.sample(range(first, first + count), int(count * share))
            ]
            for number, pupil in enumerate(picked):
                name = variant(pupil[3], rng) if rng.random() < 0.02 else pupil[3]
                until = date(2026, 6, 30) if rng.random() < 0.03 else None
                entries.append(
                    (list_ref, pupil[1], name, rng.choice(categories), date(2025, 1, 1), until,
                     f"{agency}-{county}-{number}")
                )  # fmt: skip
            for extra in range(len(picked) // 100):  # same name and birth date, no roster row
                pupil = rng.choice(picked)
                body = f"{county}{pupil[1][6:14]}{500 + extra % 500:03d}"
                entries.append(
                    (list_ref, body + citizen_id_check_character(body), pupil[3], categories[0],
                     date(2025, 1, 1), None, f"{agency}-{county}-x{extra}")
                )  # fmt: skip
            entry_count = len(picked) + len(picked) // 100
            lists.append(
                (list_ref, agency, county, f"{agency}-{county}-{SCHOOL_YEAR}", entry_count)
            )
    now = utcnow()
    found.roster = {
        **columns(students, "id", "citizen_id", "student_key", "name", "gender", "birth_date",
                  "county_code", "school_code", "level", "grade"),
        "boarding": [False] * len(students), "status": ["enrolled"] * len(students),
        "source": ["import"] * len(students), "version": [1] * len(students),
        "created_at": [now] * len(students), "updated_at": [now] * len(students),
    }  # fmt: skip
    found.lists = {
        **columns(lists, "id", "agency", "region_code", "list_id", "entry_count"),
        "as_of": [AS_OF] * len(lists), "entries_sha256": ["0" * 64] * len(lists),
        "key_id": ["bench"] * len(lists), "signature": ["bench"] * len(lists),
        "fetched_at": [now] * len(lists), "ledger_seq": [1] * len(lists),
    }  # fmt: skip
    found.entries = {
        **columns(entries, "list_ref", "citizen_id", "name", "category", "valid_from",
                  "valid_until", "assertion_id"),
        "grade": [None] * len(entries),
    }  # fmt: skip


SEALED = ("citizen_id", "name")  # given encrypted to the bulk loaders


def sealed(given: dict[str, list[Any]], table: str) -> dict[str, list[Any]]:
    """Roster or list columns with the citizen IDs and names encrypted as assistance stores them
    (associated data `assistance.<table>.<column>`) and their blind indexes added."""
    ids, names = given["citizen_id"], given["name"]
    # every column whose default is computed from the row is given, so the bulk INSERT binds
    # exactly the columns it is handed (the invented pupils have no 学籍号)
    numbers = {"student_number_index": [None] * len(ids)} if table == "student" else {}
    return {
        **given,
        **numbers,
        "citizen_id": [fieldcrypt.encrypt(c, f"assistance.{table}.citizen_id") for c in ids],
        "citizen_id_index": [citizen_id_index(c) for c in ids],
        "name": [fieldcrypt.encrypt(n, f"assistance.{table}.name") for n in names],
        "name_born_index": [name_born_index(n, c) for n, c in zip(names, ids, strict=True)],
    }


def columns(rows: list[tuple[Any, ...]], *names: str) -> dict[str, list[Any]]:
    """Rows as named columns (the bulk loaders take columns)."""
    return {name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)}


@dataclass(frozen=True, slots=True)
class Sheets:
    """What the bureaus upload, built once for both topologies."""

    schools: bytes  # 学校信息表
    applications: dict[str, bytes]  # county → 入学申请 sheet
    teachers: list[bytes]  # 教师信息表, in parts


def zone_map(found: Province, county: str) -> dict[str, Any]:
    """The county's grade-1 zone map: one 单校 zone (a CELL square) per primary school."""
    schools = _primary_grid(found.schools, county)
    features = []
    for cell, school in enumerate(schools):
        x, y = _cell_corner(found.origins[county], cell, len(schools))
        ring = [[x, y], [x + CELL, y], [x + CELL, y + CELL], [x, y + CELL], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "zone_code": f"P{cell + 1:02d}",
                    "name": f"{school.name}片区",
                    "school_codes": [school.code],
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {
        "county_code": county,
        "level": PRIMARY,
        "year": YEAR,
        "effective_from": china_today().isoformat(),
        "zones": {"type": "FeatureCollection", "features": features},
    }


def application_sheets(found: Province) -> dict[str, bytes]:
    """Per county but the demo one, its 入学申请 sheet: enrollment_import.py's rows (distinct
    children across the province), each home moved into a zone of the county, local 户籍 in
    the county."""
    counties = [c for c in found.counties if c != DEMO_COUNTY]
    rows = application_rows(scaled(round(APPLICATIONS * IMPORTED_SHARE)))
    rng = random.Random(400)
    sheets: dict[str, list[dict[str, Any]]] = {c: [] for c in counties}
    for n, row in enumerate(rows):
        county = counties[n % len(counties)]
        cells = len(_primary_grid(found.schools, county))
        x, y = _cell_corner(found.origins[county], rng.randrange(cells), cells)
        row["home_longitude"] = round(x + CELL * rng.uniform(0.1, 0.9), 6)
        row["home_latitude"] = round(y + CELL * rng.uniform(0.1, 0.9), 6)
        if row["residence_permit_issued_on"] is None:
            row["hukou_county_code"] = county
        sheets[county].append(row)
    return {county: application_sheet(rows) for county, rows in sheets.items()}


def schools_sheet(found: Province) -> bytes:
    return write_csv(
        SCHOOL_COLUMNS,
        [
            [s.code, s.name, SECTION_LABEL[s.level], s.county, s.longitude, s.latitude, s.capacity]
            for s in found.schools
        ],
    )


def teacher_sheets(found: Province) -> list[bytes]:
    """staffing_import.py's rows placed in the province's schools (学段 of the school), in
    sheets of TEACHER_SHEET_ROWS; a school's teachers are in one sheet or two, so the imports
    announce each school's counts about once (staffing.school_teacher_stats.changed)."""
    rows = teacher_rows(scaled(TEACHERS))
    for n, row in enumerate(rows):
        school = found.schools[n * len(found.schools) // len(rows)]
        row[4], row[5] = school.code, SECTION_LABEL[school.level]
    return [
        teacher_sheet(rows[start : start + TEACHER_SHEET_ROWS])
        for start in range(0, len(rows), TEACHER_SHEET_ROWS)
    ]


def assessment(found: Province, county: str, seed: int) -> dict[str, Any]:
    """The county's schools as evaluation_assessment.py's synthetic sections."""
    schools = found.schools_of(county)
    sections = synthetic_county(len(schools), seed=seed)
    for section, school in zip(sections, schools, strict=True):
        section.update(school_code=school.code, name=school.name, level=school.level)
    return {"county_code": county, "year": ASSESSMENT_YEAR, "schools": sections}


# --- a topology, its databases and its message plane ----------------------------------------


def database_url(system: System, service: str) -> str:
    """The service's database as the bench reads it: the cluster's as the superuser."""
    if isinstance(system, Cluster):
        assert system.postgres is not None
        return system.postgres.url(service)
    return system.processes[service].env[f"{service.upper()}_DATABASE_URL"]


def nats_urls(system: System) -> list[str]:
    if isinstance(system, Cluster):
        return system.nats_urls
    assert system.nats is not None
    return [system.nats.url]


def gateways(system: System) -> list[str]:
    return system.gateway_urls if isinstance(system, Cluster) else [system.gateway_url]


async def wait_for_copies(engines: dict[str, AsyncEngine], schools: int) -> None:
    """Until staffing, assistance and evaluation hold every school (enrollment's events)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        held = {}
        for name in COPIES:
            async with engines[name].connect() as connection:
                held[name] = await connection.scalar(text("SELECT count(*) FROM school"))
        if all(count == schools for count in held.values()):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"school copies incomplete: {held} of {schools}")
        await asyncio.sleep(0.5)


def ok(response: httpx.Response, *expected: int) -> httpx.Response:
    if response.status_code not in (expected or (200, 201)):
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} "
            f"{response.text[:1000]}"
        )
    return response


async def bulk_load(
    engine: AsyncEngine,
    models: list[tuple[Any, dict[str, list[Any]]]],
    *,
    encoded: Sequence[str] = (),
) -> None:
    """Rows of each model's table given as columns, in one transaction: COPY on PostgreSQL, the
    kit's column-wise executemany elsewhere (`encoded`: columns given as stored, e.g. already
    encrypted, not passed through their types again)."""
    tables = [(cast(Table, model.__table__), columns) for model, columns in models]
    async with engine.begin() as connection:
        for table, columns in tables:
            if connection.dialect.name == "postgresql":
                driver = (await connection.get_raw_connection()).driver_connection
                await driver.copy_records_to_table(  # type: ignore[union-attr]
                    table.name,
                    records=list(zip(*columns.values(), strict=True)),
                    columns=list(columns),
                )
            else:
                await insert_columns(
                    connection, table, columns, encoded=[c for c in encoded if c in columns]
                )
        if connection.dialect.name == "postgresql":  # autovacuum would, a minute later
            await connection.execute(text(f"ANALYZE {', '.join(t.name for t, _ in tables)}"))


# --- wrk ------------------------------------------------------------------------------------


async def run_together(commands: list[list[str]]) -> list[str]:
    """Start every command at once (one wrk per gateway), wait for all; → their outputs."""
    processes = [
        await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        for command in commands
    ]
    outputs = [await process.communicate() for process in processes]
    for command, process, (_, error) in zip(commands, processes, outputs, strict=True):
        if process.returncode:
            raise RuntimeError(f"{command[0]} exited {process.returncode}: {error.decode()}")
    return [out.decode() for out, _ in outputs]


def wrk_result(stdout: str) -> dict[str, Any]:
    """What status_reads.lua or school_updates.lua reported."""
    line = next(x for x in stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    return {
        "per_s": result["ok"] / result["seconds"],
        "ok": result["ok"],
        "other": sum(result["others"].values()) + result["errors"],
        "others": result["others"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
    }


def wrk(script: str, gateway: str, connections: int, seconds: float, *args: str) -> list[str]:
    return [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "60s",
        "-s",
        str(HERE / script),
        f"{gateway}/",
        "--",
        *args,
    ]


def together(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One phase's figures from its wrk processes (one per gateway, run at the same time):
    rates and counts add up, latencies are the worse gateway's."""
    return {
        "per_s": sum(p["per_s"] for p in parts),
        "ok": sum(p.get("ok", p.get("accepted", 0)) for p in parts),
        "other": sum(p["other"] for p in parts),
        "p50_ms": max(p["p50_ms"] for p in parts),
        "p99_ms": max(p["p99_ms"] for p in parts),
        "per_gateway": [round(p["per_s"], 1) for p in parts],
    }


# --- one topology ---------------------------------------------------------------------------


def cpu_by_role(system: System) -> dict[str, float]:
    """CPU seconds so far of each role's processes (replicas summed), of the NATS servers and
    of the whole machine (everything else: PostgreSQL, wrk, this process)."""
    used: dict[str, float] = {}
    for name, process in system.processes.items():
        if process.process is not None:
            role = name.rsplit("-", 1)[0] if name[-1].isdigit() else name
            used[role] = used.get(role, 0.0) + cpu_seconds(process.process.pid)
    nodes = system.nats_nodes if isinstance(system, Cluster) else [system.nats]
    used["nats"] = sum(cpu_seconds(n.process.pid) for n in nodes if n and n.process)
    busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    machine = sum(int(v) for i, v in enumerate(busy) if i not in (3, 4)) / os.sysconf("SC_CLK_TCK")
    return used | {"other": machine - sum(used.values())}


def cpu_per(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    """Milliseconds of CPU per item of work, by role, between two `cpu_by_role` readings."""
    return {role: round(1000 * (after[role] - before[role]) / max(count, 1), 2) for role in after}


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


@dataclass
class Bench:
    """Loads the province into one running topology, then measures the five figures."""

    system: System
    found: Province
    sheets: Sheets
    var: Path
    engines: dict[str, AsyncEngine] = field(default_factory=dict)
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=300))
    credentials: dict[str, Any] = field(default_factory=dict)
    token: str = ""
    nats: Client = field(init=False)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def gateways(self) -> list[str]:
        return gateways(self.system)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def fresh_token(self) -> str:
        """Tokens live 15 minutes: a new one for each step."""
        response = await self.http.post(
            f"{self.gateways[0]}/oauth/token",
            data={"grant_type": "client_credentials", **self.credentials},
        )
        self.token = ok(response).json()["access_token"]
        return self.token

    async def run(self) -> dict[str, Any]:
        self.engines = {name: create_engine(database_url(self.system, name)) for name in SERVICES}
        self.nats = await connect(nats_urls(self.system), "bench", **self.system.nats_options())
        try:
            registered = self.system.register_client(
                name="内蒙古自治区教育厅 bench", scopes=ALL_SCOPES, jurisdiction=["15"]
            )
            self.credentials = {
                "client_id": registered["client_id"],
                "client_secret": registered["client_secret"],
            }
            await self.load()
            for figure in (self.submissions, self.reads, self.events, self.scan, self.rollup):
                await self.settle()
                await self.fresh_token()
                await figure()
            async with self.engines["enrollment"].connect() as connection:
                self.figures["applications"] = await connection.scalar(
                    select(func.count()).select_from(Application)
                )
        finally:
            await self.nats.close()
            await self.http.aclose()
            for engine in self.engines.values():
                await engine.dispose()
        return self.figures

    async def unsettled(self) -> dict[str, int]:
        """Events not through yet: unpublished outbox rows per service, undelivered or
        unacknowledged events per durable consumer (only what is not zero)."""
        counts: dict[str, int] = {}
        for name, engine in self.engines.items():
            async with engine.connect() as connection:
                counts[f"outbox:{name}"] = (
                    await connection.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.sent_at.is_(None))
                    )
                    or 0
                )
        for position in await positions(self.nats.jetstream()):
            if position.stream in STREAMS:
                counts[position.durable] = position.pending + position.ack_pending
        return {k: v for k, v in counts.items() if v}

    async def settle(self, timeout: float = SETTLE_TIMEOUT_S) -> float:
        """Wait until every event is through (TimeoutError after `timeout`); → seconds."""
        start = time.perf_counter()
        while left := await self.unsettled():
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"not settled after {timeout:.0f} s: {left}")
            await asyncio.sleep(0.5)
        return time.perf_counter() - start

    async def step(self, name: str, work: Callable[[], Awaitable[Any]]) -> None:
        await self.fresh_token()
        start = time.perf_counter()
        await work()
        elapsed = time.perf_counter() - start
        self.figures.setdefault("setup_s", {})[name] = round(elapsed, 1)
        print(f"  {name}: {elapsed:.1f} s", flush=True)

    async def spread(
        self, items: Sequence[Any], send: Callable[[str, Any], Awaitable[Any]]
    ) -> None:
        """`send(gateway, item)` for every item, one lane per gateway at a time."""

        async def lane(gateway: str, mine: Sequence[Any]) -> None:
            for item in mine:
                await send(gateway, item)

        lanes = self.gateways
        await asyncio.gather(
            *(lane(gateway, items[n :: len(lanes)]) for n, gateway in enumerate(lanes))
        )

    # --- loading ---

    async def load(self) -> None:
        found = self.found

        async def demo() -> None:
            await asyncio.to_thread(load_demo_county, self.system, self.token, DEMO_SCHOOLS)
            await asyncio.to_thread(load_demo_enrollment, self.system, self.token, DEMO_INTAKE)

        async def schools() -> None:
            ok(
                await self.http.post(
                    f"{self.gateways[0]}/enrollment/v1/school-imports",
                    content=self.sheets.schools,
                    headers={**self.headers, "Content-Type": "text/csv"},
                )
            )
            await wait_for_copies(self.engines, len(found.schools) + found.demo_schools)

        async def applications() -> None:
            async def county(gateway: str, code: str) -> None:
                ok(
                    await self.http.post(
                        f"{gateway}/enrollment/v1/zone-maps",
                        json=zone_map(found, code),
                        headers=self.headers,
                    )
                )
                ok(
                    await self.http.post(
                        f"{gateway}/enrollment/v1/application-imports",
                        params={"county_code": code, "year": YEAR},
                        content=self.sheets.applications[code],
                        headers={**self.headers, "Content-Type": "text/csv"},
                    )
                )

            await self.spread(list(self.sheets.applications), county)

        async def teachers() -> None:
            async def sheet(gateway: str, content: bytes) -> None:
                ok(
                    await self.http.post(
                        f"{gateway}/staffing/v1/teacher-imports",
                        content=content,
                        headers={**self.headers, "Content-Type": "text/csv"},
                    )
                )

            await self.spread(self.sheets.teachers, sheet)

        async def roster() -> None:
            engine = self.engines["assistance"]
            # stored as the service stores them (a0013): IDs and names encrypted with the
            # cluster's assistance keys, their blind indexes beside them
            keys = self.system.field_key_env("assistance")
            fieldcrypt.configure(keys["ASSISTANCE_FIELD_KEYS"], keys["ASSISTANCE_BLIND_INDEX_KEY"])
            await bulk_load(engine, [(Student, sealed(found.roster, "student"))], encoded=SEALED)
            await bulk_load(
                engine,
                [
                    (CategoryList, found.lists),
                    (CategoryListEntry, sealed(found.entries, "category_list_entry")),
                ],
                encoded=SEALED,
            )

        async def assessments() -> None:
            async def county(gateway: str, item: tuple[int, str]) -> None:
                seed, code = item
                ok(
                    await self.http.post(
                        f"{gateway}/evaluation/v1/assessments",
                        json=assessment(found, code, seed),
                        headers=self.headers,
                    )
                )

            await self.spread(list(enumerate(found.counties)), county)

        for name, work in (
            ("demo county and intake", demo),
            ("schools and their copies", schools),
            ("zone maps and application sheets", applications),
            ("teacher sheets", teachers),
            ("roster and lists (bulk)", roster),
            ("assessments", assessments),
            ("settled", self.settle),
        ):
            await self.step(name, work)

    # --- figures ---

    async def submissions(self) -> None:
        """Figure 1: wrk with submissions.lua, one per gateway, CLIENTS split among them."""
        parts = len(self.gateways)
        sources = [bodies(part * (SUBMISSION_CHILDREN // parts)) for part in range(parts)]
        rounds: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            files = [
                write_bodies(source, PHASE_SECONDS, self.var / f"bodies-{part}.jsonl")
                for part, source in enumerate(sources)
            ]
            commands = [
                wrk_submissions(
                    f"{gateway}/enrollment", self.token, path, PHASE_SECONDS, CLIENTS // parts
                )
                for gateway, path in zip(self.gateways, files, strict=True)
            ]
            before = cpu_by_role(self.system)
            outputs = await run_together(commands)
            rounds.append(together([submissions_result(out) for out in outputs]))
            rounds[-1]["cpu_ms"] = cpu_per(before, cpu_by_role(self.system), rounds[-1]["ok"])
            await self.settle()
            await self.fresh_token()
        self.figures["submissions"] = summary(rounds)

    async def reads(self) -> None:
        """Figure 2: wrk with status_reads.lua over every application id."""
        async with self.engines["enrollment"].connect() as connection:
            ids = (await connection.scalars(select(Application.id))).all()
        ids_file = self.var / "application-ids.txt"
        ids_file.write_text("".join(f"{i}\n" for i in ids))
        parts = len(self.gateways)
        rounds: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            commands = [
                wrk(
                    "status_reads.lua",
                    gateway,
                    CLIENTS // parts,
                    PHASE_SECONDS,
                    str(ids_file),
                    "/enrollment/v1/applications/",
                    self.token,
                )
                for gateway in self.gateways
            ]
            rounds.append(together([wrk_result(out) for out in await run_together(commands)]))
        self.figures["reads"] = {**summary(rounds), "ids": len(ids)}

    async def events(self) -> None:
        """Figure 3: school changes at each rate, then each copy's inbox against the outbox."""
        codes_file = self.var / "school-codes.txt"
        codes_file.write_text("".join(f"{s.code}\n" for s in self.found.schools))
        self.figures["events"] = []
        for rate in EVENT_RATES:
            await self.settle()
            await self.fresh_token()
            self.figures["events"].append(await self.events_at(rate, codes_file))

    async def events_at(self, rate: float, codes_file: Path) -> dict[str, Any]:
        parts = len(self.gateways)
        since = utcnow()
        commands = [
            wrk(
                "school_updates.lua",
                gateway,
                EVENT_CONNECTIONS // parts,
                EVENT_SECONDS,
                str(codes_file),
                "/enrollment/v1/schools/",
                self.token,
                str(part * WRK_THREADS),  # a lane per thread
                str(parts * WRK_THREADS),
                str(rate / parts / WRK_THREADS),
            )
            for part, gateway in enumerate(self.gateways)
        ]
        before = cpu_by_role(self.system)
        drive = together([wrk_result(out) for out in await run_together(commands)])
        try:
            settled_s: float | None = await self.settle(timeout=max(120.0, 6 * EVENT_SECONDS))
        except TimeoutError:
            settled_s = None  # what is still missing is counted apart
        latencies = await self.event_latencies(since)
        # the settling's own polling is in "other"; every change's consumers are in the rest
        cpu = cpu_per(before, cpu_by_role(self.system), latencies["events"])
        return {
            "target_per_s": rate,
            "drive": drive,
            "settled_after_s": settled_s,
            "cpu_ms": cpu,
            **latencies,
        }

    async def event_latencies(self, since: datetime) -> dict[str, Any]:
        async with self.engines["enrollment"].connect() as connection:
            committed = {
                str(event_id): created
                for event_id, created in await connection.execute(
                    select(OutboxMessage.id, OutboxMessage.created_at).where(
                        OutboxMessage.subject == "enrollment.school.updated",
                        OutboxMessage.created_at >= since,
                    )
                )
            }
        latencies: list[float] = []
        per_consumer: dict[str, dict[str, float]] = {}
        for name in COPIES:
            async with self.engines[name].connect() as connection:
                processed = dict(
                    (
                        await connection.execute(
                            select(ProcessedMessage.event_id, ProcessedMessage.processed_at).where(
                                ProcessedMessage.consumer == f"{name}-schools",
                                ProcessedMessage.processed_at >= since,
                            )
                        )
                    ).all()
                )
            mine = [
                (processed[event_id] - created).total_seconds() * 1000
                for event_id, created in committed.items()
                if event_id in processed
            ]
            missing = len(committed) - len(mine)
            latencies += mine + [math.inf] * missing  # never processed: slower than any
            per_consumer[name] = {
                "p50_ms": percentile(mine, 50) if mine else math.nan,
                "p99_ms": percentile(mine, 99) if mine else math.nan,
                "missing": missing,
            }
        span = (max(committed.values()) - min(committed.values())).total_seconds()
        return {
            "events": len(committed),
            "rate_per_s": len(committed) / span if span else math.nan,
            "p50_ms": percentile(latencies, 50) if latencies else math.nan,
            "p99_ms": percentile(latencies, 99) if latencies else math.nan,
            "max_ms": max(latencies, default=math.nan),
            "missing": sum(c["missing"] for c in per_consumer.values()),
            "per_consumer": per_consumer,
        }

    async def scan(self) -> None:
        """Figure 4: every county's load + rules, summed; after a roster write, then from the
        snapshots."""
        sessions = create_sessionmaker(self.engines["assistance"])
        self.figures["scan"] = await scan_figure(sessions, self.found.counties, ROUNDS)

    async def rollup(self) -> None:
        """Figure 5: GET /evaluation/v1/rollups of the whole province, alternating gateways."""
        timings = []
        for n in range(ROLLUP_ROUNDS + 1):
            start = time.perf_counter()
            response = ok(
                await self.http.get(
                    f"{self.gateways[n % len(self.gateways)]}/evaluation/v1/rollups",
                    params={"region_code": "15", "year": ASSESSMENT_YEAR},
                    headers=self.headers,
                )
            )
            wall = time.perf_counter() - start
            assert response.json()["counties_assessed"] == len(self.found.counties)
            # the service's Server-Timing comes first, the gateway appends its own
            server = response.headers["server-timing"].split(",")[0].partition("dur=")[2]
            timings.append((wall * 1000, float(server)))
        timings = timings[1:]  # the first warms caches
        self.figures["rollup"] = {
            "wall_ms": statistics.median(t for t, _ in timings),
            "server_ms": statistics.median(s for _, s in timings),
        }


async def scan_figure(
    sessions: async_sessionmaker[Any], counties: Sequence[str], rounds: int
) -> dict[str, Any]:
    """Figure 4 (also benchmarks/assistance_province_scan.py): per round, a roster write to every
    county, Σ of load + rules from the tables (the snapshots kept, not timed), then from the
    snapshots, and the baseline; → medians over the rounds and the rounds."""
    measured: list[dict[str, Any]] = []
    for _ in range(rounds):
        async with sessions() as session:
            await versions.bump(session, counties)
            await session.commit()
        tables, _ = await scan_counties(sessions, counties, keep_snapshots=True)
        snapshots, loaded = await scan_counties(sessions, counties, keep_snapshots=False)
        assert snapshots["from_snapshot"] == len(counties), snapshots
        measured.append(
            {"tables": tables, "snapshots": snapshots, "rules_at_once_s": rules_at_once(loaded)}
        )
        del loaded
    return {
        "tables_s": statistics.median(r["tables"]["seconds"] for r in measured),
        "tables_loading_s": statistics.median(r["tables"]["loading_s"] for r in measured),
        "snapshots_s": statistics.median(r["snapshots"]["seconds"] for r in measured),
        "snapshots_loading_s": statistics.median(r["snapshots"]["loading_s"] for r in measured),
        "tables_cpu_s": statistics.median(r["tables"]["cpu_s"] for r in measured),
        "snapshots_cpu_s": statistics.median(r["snapshots"]["cpu_s"] for r in measured),
        "rules_at_once_s": statistics.median(r["rules_at_once_s"] for r in measured),
        "rounds": measured,
    }


async def scan_counties(
    sessions: async_sessionmaker[Any], counties: Sequence[str], *, keep_snapshots: bool
) -> tuple[dict[str, Any], list[identification.Inputs]]:
    """Σ over the counties of the job's load + rules; → counts and what was loaded."""
    counts = {"seconds": 0.0, "loading_s": 0.0, "cpu_s": 0.0, "students": 0, "entries": 0}
    counts |= {"auto": 0}
    counts |= {"proposals": 0, "reviews": 0, "lost": 0, "from_snapshot": 0}
    loaded = []
    for county in counties:
        job = IdentificationJob(county_code=county, school_year=SCHOOL_YEAR, as_of=AS_OF)
        start, started_cpu = time.perf_counter(), time.process_time()
        inputs = await identification.load(sessions, job, configured={})
        counts["loading_s"] += time.perf_counter() - start
        found = identification.compute(inputs, on=AS_OF)
        counts["seconds"] += time.perf_counter() - start
        counts["cpu_s"] += time.process_time() - started_cpu  # this process's threads too
        if keep_snapshots and not inputs.roster_from_snapshot:  # as the job keeps it
            async with sessions() as session:
                await identification.store_roster_snapshot(session, county, inputs)
                await session.commit()
        counts["from_snapshot"] += inputs.roster_from_snapshot
        counts["students"] += inputs.roster.height
        counts["entries"] += inputs.entries.height
        counts["auto"] += found.matches.exact.height
        counts["proposals"] += found.proposals.height
        counts["reviews"] += found.reviews.height
        counts["lost"] += found.lost.height
        loaded.append(inputs)
    return counts, loaded


def rules_at_once(loaded: list[identification.Inputs]) -> float:
    """Baseline: the rules once over every county's frames together, as if the province were
    one county — what the data costs without the per-county share."""
    merged = dataclasses.replace(
        loaded[0],
        **{
            name: pl.concat([getattr(inputs, name) for inputs in loaded])
            for name in ("roster", "entries", "awards", "reviewed")
        },
    )
    start = time.perf_counter()
    identification.compute(merged, on=AS_OF)
    return time.perf_counter() - start


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "per_s": statistics.median(r["per_s"] for r in rounds),
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "rounds": rounds,
    }


def single_node(var: Path) -> System:
    return System(
        var=var, gateway_port=free_port(), agencies=(), ready_timeout=300, extra_env=LIMITS
    )


def cluster(var: Path) -> System:
    return Cluster(
        var=var, gateway_port=free_port(), agencies=(), ready_timeout=600, extra_env=LIMITS
    )


TOPOLOGY = {
    "single": ("single node (SQLite)", single_node),
    "cluster": ("cluster (PostgreSQL, 2 replicas)", cluster),
}


def measure(name: str, found: Province, sheets: Sheets) -> dict[str, Any]:
    """Start the topology, load the province, take the figures; stop it whatever happens and
    drop its databases and streams (its logs stay)."""
    label, make = TOPOLOGY[name]
    var = VAR / name
    system = make(var)
    print(f"\n{label}: starting", flush=True)
    began, load_before = time.perf_counter(), load_average()
    try:
        start = time.perf_counter()
        system.start()
        print(f"  started in {time.perf_counter() - start:.1f} s", flush=True)
        figures = asyncio.run(Bench(system, found, sheets, var).run())
    finally:
        system.stop()
        for path in var.iterdir():
            if path.is_dir() and path.name != "logs":
                shutil.rmtree(path)
            elif path.is_file():
                path.unlink()
    figures["load_average"] = {"start": load_before, "end": load_average()}
    figures["minutes"] = round((time.perf_counter() - began) / 60, 1)
    return figures


def digits(value: float) -> int:
    return 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0


def report(found: Province, results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    print(
        f"\nProvince scale, one run, scale {SCALE:g}: {len(found.counties)} counties, "
        f"{len(found.schools) + found.demo_schools:,} schools, {len(found.roster['id']):,} "
        f"pupils, {scaled(TEACHERS):,} teachers, applications after the submissions: "
        + ", ".join(f"{results[n]['applications']:,} ({n})" for n in names)
    )
    print(
        "load average, start → end: "
        + ", ".join(
            f"{n} {results[n]['load_average']['start']:.2f} → "
            f"{results[n]['load_average']['end']:.2f} ({results[n]['minutes']} min)"
            for n in names
        )
    )
    print(f"\n{'what':<44}" + "".join(f"{n:>10}" for n in names) + f"{'ratio':>7}  goal")

    def line(label: str, value: Callable[[dict[str, Any]], float], goal: str = "") -> None:
        values = [value(results[n]) for n in names]
        ratio = f"{values[1] / values[0]:>7.2f}" if len(values) == 2 and values[0] else " " * 7
        cells = "".join(
            f"{v:>10,}" if isinstance(v, int) else f"{v:>10,.{digits(v)}f}" for v in values
        )
        print(f"{label:<44}{cells}{ratio}  {goal}")

    def verdict(met: Callable[[dict[str, Any]], bool]) -> str:
        return ", ".join(f"{n} {'met' if met(results[n]) else 'NOT met'}" for n in names)

    def keeps(figure: str) -> str:
        if names != ["single", "cluster"]:
            return "≥ 0.8 × single: needs both topologies"
        ratio = results["cluster"][figure]["per_s"] / results["single"][figure]["per_s"]
        return f"≥ 0.8 × single: {'met' if ratio >= 0.8 else 'NOT met'}"

    line("submissions accepted/s", lambda f: f["submissions"]["per_s"], keeps("submissions"))
    line("  p99 ms", lambda f: f["submissions"]["p99_ms"])
    line("status reads/s (GET application)", lambda f: f["reads"]["per_s"], keeps("reads"))
    line("  p99 ms", lambda f: f["reads"]["p99_ms"])

    def event(n: int, key: str) -> Callable[[dict[str, Any]], float]:
        return lambda f: f["events"][n][key]

    def p99_under_100_ms(n: int) -> Callable[[dict[str, Any]], bool]:
        return lambda f: f["events"][n]["p99_ms"] < 100

    for index, rate in enumerate(EVENT_RATES):
        line(f"school changes/s committed (target {rate:,.0f})", event(index, "rate_per_s"))
        line("  event outbox → inbox, p50 ms", event(index, "p50_ms"))
        goal = f"< 100 ms: {verdict(p99_under_100_ms(index))}" if index == 0 else ""
        line("  event outbox → inbox, p99 ms", event(index, "p99_ms"), goal)
        line("  (event, consumer) pairs never processed", event(index, "missing"))
    line(
        f"应助尽助 scan, {len(found.roster['id']):,} pupils, tables, s",
        lambda f: f["scan"]["tables_s"],
        f"≤ 6 s: {verdict(lambda f: f['scan']['tables_s'] <= 6)}",
    )
    line(
        "应助尽助 scan, from snapshots, s",
        lambda f: f["scan"]["snapshots_s"],
        f"≤ 6 s: {verdict(lambda f: f['scan']['snapshots_s'] <= 6)}",
    )
    line("  of which loading (the rest: rules), s", lambda f: f["scan"]["snapshots_loading_s"])
    line("  baseline: rules once over all, s", lambda f: f["scan"]["rules_at_once_s"])
    line(f"roll-up of {len(found.counties)} counties, ms", lambda f: f["rollup"]["wall_ms"])
    line("  service's own (Server-Timing), ms", lambda f: f["rollup"]["server_ms"])
    print(
        f"ratio: cluster ÷ single. Medians of {ROUNDS} rounds; wrk {CLIENTS} connections for "
        f"{PHASE_SECONDS:g} s (cluster: half through each gateway, p99 of the worse); events: "
        f"{EVENT_SECONDS:g} s of school changes, every (event, consumer) pair, a pair never "
        "processed counted as slower than any; scan: Σ over the counties of the job's load + "
        "rules, after a roster write (tables) and from the stored snapshots"
    )
    for n in names:
        submission = results[n]["submissions"]["rounds"][-1]["cpu_ms"]
        change = results[n]["events"][0]["cpu_ms"]
        print(
            f"CPU ms per accepted submission, {n}: "
            + ", ".join(f"{k} {v}" for k, v in submission.items())
        )
        print(
            f"CPU ms per school change at {EVENT_RATES[0]:,.0f}/s, {n}: "
            + ", ".join(f"{k} {v}" for k, v in change.items())
        )
    for n in names:
        print(f"set-up, {n}: " + ", ".join(f"{k} {v} s" for k, v in results[n]["setup_s"].items()))


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench-cluster installs it)")
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    began = time.perf_counter()
    with collector_paused():  # millions of cycle-free tuples: the collector would walk them
        found = province()
        sheets = Sheets(schools_sheet(found), application_sheets(found), teacher_sheets(found))
    gc.freeze()  # and never again: the scans in this process would pay for every walk
    print(
        f"province generated in {time.perf_counter() - began:.1f} s: "
        f"{len(found.counties)} counties, {len(found.schools):,} invented schools, "
        f"{len(found.roster['id']):,} pupils, {len(found.entries['list_ref']):,} list entries",
        flush=True,
    )
    results = {name: measure(name, found, sheets) for name in TOPOLOGIES}
    out = VAR / "province-figures.json"
    out.write_text(
        json.dumps(
            {"scale": SCALE, "counties": len(found.counties), "figures": results},
            indent=2,
            ensure_ascii=False,
            default=str,
        )
    )
    report(found, results)
    print(f"figures: {out}")


if __name__ == "__main__":
    main()
