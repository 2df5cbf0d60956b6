"""`make bench`: 电脑派位 from stored applications — 200,000 verified applications × 1,000
schools on SQLite, from the database to the stored result (issue goal ≤ 10 s).

The full run is `create_run_from_applications` and its commit: load the policy, the seat plans
and the applications' columns in one query each, compute every applicant's tiers, validate the
instance, assign with deferred acceptance and explanations, hash, serialise and store the
answer and the instance, stage the event. The baseline in the same run is `rules.assign` alone
on the very instance the run built, so the ratio is the price of the database round trip.
"""

import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from enrollment.admission.instance import build_instance
from enrollment.admission.models import Application, PriorityPolicy
from enrollment.admission.schemas import PriorityPolicyPut
from enrollment.lottery import rules
from enrollment.lottery.schemas import AssignmentRunFromApplications
from enrollment.lottery.service import create_run_from_applications, instance_of
from enrollment.schools.models import School
from enrollment.seats.models import SeatPlan
from junheng_kit import fieldcrypt
from junheng_kit.auth import Jurisdiction, Principal
from junheng_kit.db import create_engine, create_sessionmaker
from junheng_kit.gc_pause import collector_paused
from junheng_kit.migrations import service_dir, upgrade

APPLICANTS, SCHOOLS, ROUNDS = 200_000, 1_000, 2
COUNTY, YEAR = "150602", 2025
REQUEST = AssignmentRunFromApplications(
    county_code=COUNTY,
    year=YEAR,
    level="primary",
    seed="bench-2025",
    mechanism="deferred_acceptance",
    tie_breaking="single",
    policy_on=date(2025, 6, 1),
)
PRINCIPAL = Principal(
    client_id="bench", scopes=frozenset({"enrollment:write"}), jurisdiction=Jurisdiction((COUNTY,))
)


def codes() -> list[str]:
    return [f"2115{i:06d}" for i in range(SCHOOLS)]


async def seed(url: str) -> None:
    """1,000 schools in 200 multi-school zones of 5, seats for 95 % of the applicants, the
    example policy, 200,000 verified applications: 70 % local owners with 户籍 in the zone,
    20 % local renters, 10 % migrant families with permits of varied age."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    schools = codes()
    seats = APPLICANTS * 95 // 100
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        await session.execute(
            insert(School),
            [
                {
                    "school_code": code,
                    "name": f"学校{i}",
                    "levels": ["primary"],
                    "county_code": COUNTY,
                    "longitude": 109.9 + (i % 40) * 0.005,
                    "latitude": 39.7 + (i // 40) * 0.005,
                    "planned_capacity": 2000,
                    "version": 1,
                }
                for i, code in enumerate(schools)
            ],
        )
        await session.execute(
            insert(SeatPlan),
            [
                {
                    "school_code": code,
                    "level": "primary",
                    "year": YEAR,
                    "county_code": COUNTY,
                    "planned_classes": 1,
                    "class_cap": seats // SCHOOLS + (i < seats % SCHOOLS),
                    "seats": seats // SCHOOLS + (i < seats % SCHOOLS),
                    "class_sizes": [],
                    "policy_version": "bench",
                    "updated_by": "bench",
                }
                for i, code in enumerate(schools)
            ],
        )
        document = PriorityPolicyPut.model_validate(
            PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
        ).model_dump(mode="json")
        session.add(
            PriorityPolicy(
                county_code=COUNTY,
                year=YEAR,
                level="primary",
                version=1,
                effective_from=date(2025, 5, 1),
                source="bench",
                document=document,
                document_sha256="0" * 64,
                created_by="bench",
            )
        )
        rows: list[dict[str, Any]] = []
        for n in range(APPLICANTS):
            zone = rng.randrange(SCHOOLS // 5)
            group = schools[zone * 5 : zone * 5 + 5]
            choices = rng.sample(group, k=rng.randint(2, 5))
            kind = rng.random()
            if kind < 0.7:
                household: dict[str, Any] = {"hukou": {"county_code": COUNTY}, "housing": "owned"}
                hukou_schools = group
            elif kind < 0.9:
                household = {"hukou": {"county_code": COUNTY}, "housing": "rented"}
                hukou_schools = []
            else:
                household = {
                    "hukou": {"county_code": "150203"},
                    "housing": "rented",
                    "residence_permit": {"issued_on": f"20{rng.randint(20, 25)}-03-01"},
                    "social_insurance_months": rng.randint(0, 60),
                }
                hukou_schools = []
            rows.append(
                {
                    "id": uuid.UUID(int=n + 1),
                    "county_code": COUNTY,
                    "year": YEAR,
                    "level": "primary",
                    "grade": 1,
                    "child_key": f"{n:032x}",
                    "citizen_id": "0" * 18,
                    "citizen_id_index": f"{n:032x}",  # distinct children, as child_key
                    "child_name": "-",
                    "birth_date": date(2019, 1, 1),
                    "gender": "male",
                    "guardian": {},
                    "household": household,
                    "migrant": household["hukou"]["county_code"] != COUNTY,
                    "home_longitude": 110.0,
                    "home_latitude": 39.8,
                    "home_address": "-",
                    "home_zone_code": f"Z{zone}",
                    "hukou_zone_code": None,
                    "home_schools": group,
                    "hukou_schools": hukou_schools,
                    "choices": choices,
                    "status": "verified",
                    "created_by": "bench",
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        for start in range(0, len(rows), 20_000):
            await session.execute(insert(Application), rows[start : start + 20_000])
        await session.commit()
    await engine.dispose()


async def full_runs(url: str) -> tuple[list[float], rules.Instance]:
    engine = create_engine(url)
    maker = create_sessionmaker(engine)
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        # as POST /v1/assignment-runs runs it: its route (CollectorPausedRoute) keeps the
        # cyclic collector off for the whole request, so the run's millions of containers are
        # freed before the collector would walk them
        with collector_paused():
            async with maker() as session:
                await create_run_from_applications(
                    session, PRINCIPAL, request=REQUEST, today=date(2025, 6, 1)
                )
                await session.commit()
        times.append(time.perf_counter() - start)
    async with maker() as session:
        built, _ = await build_instance(session, REQUEST, today=date(2025, 6, 1))
    await engine.dispose()
    return times, instance_of(built)


def main() -> None:
    fieldcrypt.configure(*fieldcrypt.dev_field_keys())  # personal columns encrypted at rest
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'enrollment.sqlite3'}"
        upgrade(service_dir("enrollment"), url)
        asyncio.run(seed(url))
        times, instance = asyncio.run(full_runs(url))
    baseline = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        outcome = rules.assign(instance)
        baseline.append(time.perf_counter() - start)
    placed = sum(code is not None for code in outcome.assignments.values())
    full, alone = statistics.median(times), statistics.median(baseline)
    print(
        f"\n电脑派位 from stored applications, {APPLICANTS:,} verified × {SCHOOLS:,} schools on "
        f"SQLite ({placed:,} placed)"
    )
    print(f"{'what':<52}{'s':>8}")
    print(f"{'full run: DB → tiers → assign → stored, median of ' + str(ROUNDS):<52}{full:>8.2f}")
    print(f"{'baseline: rules.assign on the same instance, median':<52}{alone:>8.2f}")
    print(f"ratio full ÷ baseline: {full / alone:.1f}×")
    print(f"goal full run ≤ 10 s on SQLite: {'met' if full <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
