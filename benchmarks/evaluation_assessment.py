"""`make bench`: a county of 2,000 school sections assessed (issue goal: ≤ 200 ms server time).

Two figures from one run, medians of repeated runs:
- rules: `evaluation.assessment.rules.assess` alone (indicators, per-school rule, CVs);
- server: POST /v1/assessments handled by the evaluation app, as its Server-Timing header
  reports it (parse and validate 2,000
  sections, assess, hash, store the inputs and result, stage the event, commit), in-process over
  ASGI on a SQLite file, the same code path as behind the gateway.
A third: GET /v1/rollups over 100 counties of 200 sections each (Server-Timing), beside one
county's assessment of 200 sections.
"""

import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from evaluation.app import create_app
from evaluation.assessment import rules
from evaluation.assessment.catalogue import catalogue_in_force
from evaluation.assessment.schemas import AssessmentCreate
from evaluation.assessment.service import create_assessment
from evaluation.settings import EvaluationSettings
from junheng_kit.auth import Jurisdiction, Principal
from junheng_kit.migrations import service_dir, upgrade
from junheng_kit.tokens import TokenSigner

SECTIONS, ROUNDS, WHAT_IF_SECTIONS = 2_000, 15, 200
ROLLUP_COUNTIES, ROLLUP_SECTIONS, ROLLUP_ROUNDS = 100, 200, 5


def synthetic_county(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        level = "primary" if i % 3 else "junior"
        students = rng.randint(60, 2500)
        per = students / 100
        out.append(
            {
                "school_code": f"{'21' if level == 'primary' else '31'}15{i:06d}",
                "name": f"学校{i}",
                "level": level,
                "students": students,
                "teachers_above_required_degree": round(per * rng.uniform(3.6, 6.5)),
                "backbone_teachers": round(per * rng.uniform(0.8, 1.6)),
                "pe_arts_teachers": round(per * rng.uniform(0.7, 1.3)),
                "teaching_auxiliary_area_m2": round(students * rng.uniform(3.9, 7.0), 1),
                "sports_venue_area_m2": round(students * rng.uniform(6.5, 12.0), 1),
                "equipment_value_yuan": round(students * rng.uniform(1800, 3200), 2),
                "multimedia_classrooms": round(per * rng.uniform(2.0, 3.0)),
            }
        )
    return out


def time_rules(county: list[dict[str, Any]]) -> list[float]:
    catalogue = catalogue_in_force(date(2025, 9, 1))
    sections = [rules.SectionInput(**{k: v for k, v in s.items() if k != "name"}) for s in county]
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        rules.assess(sections, catalogue)
        timings.append(time.perf_counter() - started)
    return timings


def migrated_database() -> str:
    workdir = Path(tempfile.mkdtemp(prefix="junheng-bench-eval-"))
    url = f"sqlite+aiosqlite:///{workdir / 'evaluation.sqlite3'}"
    upgrade(service_dir("evaluation"), url)
    return url


def scenario(county: list[dict[str, Any]], n: int = 20) -> dict[str, Any]:
    """n changes: add area to some schools, move teachers between pairs of the same level."""
    changes: list[dict[str, Any]] = []
    for i in range(n):
        a, b = county[2 * i], county[2 * i + 3]
        if i % 2:
            changes.append(
                {
                    "kind": "add_resources",
                    "school_code": a["school_code"],
                    "level": a["level"],
                    "teaching_auxiliary_area_m2": 500,
                }
            )
        elif a["level"] == b["level"] and a["teachers_above_required_degree"] > 0:
            changes.append(
                {
                    "kind": "move_teachers",
                    "from_school": a["school_code"],
                    "from_level": a["level"],
                    "to_school": b["school_code"],
                    "to_level": b["level"],
                    "teacher_kind": "above_required_degree",
                    "count": 1,
                }
            )
    return {"changes": changes}


def bench_app(url: str) -> tuple[FastAPI, str]:
    """The evaluation app on `url` and a bearer token for the 1506 city (read and write)."""
    signer = TokenSigner.generate(issuer="junheng-gateway", audience="junheng")
    app = create_app(
        EvaluationSettings(
            database_url=url,
            environment="test",
            jwks_json=json.dumps(signer.jwks()),
            nats_url=None,
            secret_key=SecretStr("bench-only-secret"),
            pseudonym_key=SecretStr("bench-only-pseudonym-key"),
        )
    )
    token = signer.issue(
        subject="bench", scopes=["evaluation:read", "evaluation:write"], jurisdiction=["1506"]
    )
    return app, token


async def time_server(county: list[dict[str, Any]], url: str, what_if: bool = False) -> list[float]:
    app, token = bench_app(url)
    body = json.dumps({"county_code": "150602", "year": 2025, "schools": county}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    timings = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for _ in range(ROUNDS + 2):
                response = await http.post("/v1/assessments", content=body, headers=headers)
                assert response.status_code == 201, response.text
                if what_if:
                    response = await http.post(
                        f"/v1/assessments/{response.json()['id']}/what-if",
                        json=scenario(county),
                        headers={"Authorization": headers["Authorization"]},
                    )
                    assert response.status_code == 200, response.text
                # the service's own measure, request in → answer ready (Server-Timing)
                server_ms = float(response.headers["server-timing"].partition("dur=")[2])
                timings.append(server_ms / 1000)
    return timings[2:]  # the first two warm caches


async def time_rollup(url: str) -> list[float]:
    """GET /v1/rollups over ROLLUP_COUNTIES counties (150600 … 150699), each with one stored
    assessment of ROLLUP_SECTIONS sections, stored by the service function in one transaction."""
    app, token = bench_app(url)
    principal = Principal("bench", frozenset({"evaluation:write"}), Jurisdiction(("1506",)))
    timings = []
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session:
            for i in range(ROLLUP_COUNTIES):
                schools = synthetic_county(ROLLUP_SECTIONS, seed=i)
                request = AssessmentCreate.model_validate(
                    {"county_code": f"1506{i:02d}", "year": 2025, "schools": schools}
                )
                await create_assessment(session, principal, request=request)
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for _ in range(ROLLUP_ROUNDS + 1):
                response = await http.get(
                    "/v1/rollups",
                    params={"region_code": "1506", "year": 2025},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200, response.text
                assert response.json()["counties_assessed"] == ROLLUP_COUNTIES
                server_ms = float(response.headers["server-timing"].partition("dur=")[2])
                timings.append(server_ms / 1000)
    return timings[1:]  # the first warms caches


def main() -> None:
    county = synthetic_county(SECTIONS)
    rules_s = statistics.median(time_rules(county))
    server_s = statistics.median(asyncio.run(time_server(county, migrated_database())))
    print(f"\nPOST /v1/assessments, a county of {SECTIONS:,} school sections, median of {ROUNDS}")
    print(f"{'what':<36}{'ms':>10}")
    print(f"{'rules.assess (computation only)':<36}{rules_s * 1000:>10.1f}")
    print(f"{'server (validate, assess, store)':<36}{server_s * 1000:>10.1f}")
    print(f"ratio server ÷ rules: {server_s / rules_s:.1f}; goal server ≤ 200 ms")
    small = county[:WHAT_IF_SECTIONS]
    assess_small = statistics.median(asyncio.run(time_server(small, migrated_database())))
    what_if_s = statistics.median(
        asyncio.run(time_server(small, migrated_database(), what_if=True))
    )
    print(
        f"\nPOST /v1/assessments/{{id}}/what-if, {WHAT_IF_SECTIONS} sections, 20 changes, "
        f"cheapest fix included, median of {ROUNDS}"
    )
    print(f"{'assessment of the same county':<36}{assess_small * 1000:>10.1f}")
    print(f"{'what-if (baseline + scenario + fix)':<36}{what_if_s * 1000:>10.1f}")
    print(f"ratio what-if ÷ assessment: {what_if_s / assess_small:.1f}; goal what-if ≤ 100 ms")
    rollup_s = statistics.median(asyncio.run(time_rollup(migrated_database())))
    print(
        f"\nGET /v1/rollups, {ROLLUP_COUNTIES} counties of {ROLLUP_SECTIONS} sections each "
        f"(summaries, never the results), median of {ROLLUP_ROUNDS}"
    )
    print(f"{'assessment of one county':<36}{assess_small * 1000:>10.1f}")
    print(f"{'roll-up of the city':<36}{rollup_s * 1000:>10.1f}")
    print(f"ratio roll-up ÷ assessment: {rollup_s / assess_small:.1f}; goal roll-up ≤ 10 s")


if __name__ == "__main__":
    main()
