"""`make load`: an enrollment-season load profile through the gateway, against the same mix sent
straight to each service's own HTTP port, in one run on this machine.

The whole system runs as processes (junheng_devtools.system.System: nats-server, four services, the
gateway; SQLite under a temporary var/), with the demo county loaded (12 schools of 东胜区, their
2025 resource table), one 单校 attendance zone around each primary school, the example priority
policy and one bureau client (all scopes, jurisdiction 150602).

Mix (weights out of 100), enrollment-season peak — families dominate, the bureau watches:

weight  operation          request (expected status)
    27  submit             a family submits an application: valid, distinct 公民身份号码, home
                           in a zone, Idempotency-Key — POST /enrollment/v1/applications (201)
     3  submit_bad_id      the same with a wrong check character, GB 11643 MOD 11-2 (422)
    35  status             a family reads its application, GET …/applications/{id} (200)
    12  list_applications  bureau: GET /enrollment/v1/applications?county_code&limit=50 (200)
    10  list_schools       bureau: GET /enrollment/v1/schools?county_code (200)
     8  list_teachers      bureau: GET /staffing/v1/teachers?county_code&limit=50 (200)
     5  assessment         bureau recomputes the 资源配置 indicators from stored data,
                           POST /evaluation/v1/assessments {county_code, year} (201)

Every virtual user loops: pick an operation by weight, send it, record latency and status.
Phase A goes through the gateway (HTTP → gateway → NATS → service), phase B straight to each
service's port with the same token (services verify it themselves); same mix, same concurrency,
interleaved A/B/A/B. Any other status (a 5xx above all), a timeout or a transport error is an
error and is listed. Figures, not pass/fail.

Environment: JUNHENG_LOAD_SECONDS (per phase, default 20), JUNHENG_LOAD_CONCURRENCY (virtual
users, default 32), JUNHENG_LOAD_ROUNDS (A/B pairs, default 2).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import os
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from junheng_devtools.demo import load_demo_county, load_demo_resources
from junheng_devtools.system import ALL_SCOPES, System

from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
SECONDS = float(os.environ.get("JUNHENG_LOAD_SECONDS", "20"))
CONCURRENCY = int(os.environ.get("JUNHENG_LOAD_CONCURRENCY", "32"))
ROUNDS = int(os.environ.get("JUNHENG_LOAD_ROUNDS", "2"))
TIMEOUT_S = 30.0
COUNTY, YEAR = "150602", 2025
ZONE_HALF_SIDE = 0.0015  # degrees: a ~330 m square around each primary school

WEIGHTS = {
    "submit": 27,
    "submit_bad_id": 3,
    "status": 35,
    "list_applications": 12,
    "list_schools": 10,
    "list_teachers": 8,
    "assessment": 5,
}
EXPECTED = {
    "submit": 201,
    "submit_bad_id": 422,
    "status": 200,
    "list_applications": 200,
    "list_schools": 200,
    "list_teachers": 200,
    "assessment": 201,
}
SERVICE_OF = {
    "submit": "enrollment",
    "submit_bad_id": "enrollment",
    "status": "enrollment",
    "list_applications": "enrollment",
    "list_schools": "enrollment",
    "list_teachers": "staffing",
    "assessment": "evaluation",
}


def square(lon: float, lat: float, half: float) -> dict[str, Any]:
    x0, y0, x1, y1 = lon - half, lat - half, lon + half, lat + half
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def primary_zones(schools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One 单校 zone per primary school: a square around it (the demo schools are far enough
    apart for the squares not to overlap; the service refuses overlaps)."""
    return [
        {
            "type": "Feature",
            "properties": {
                "zone_code": f"P{index:02d}",
                "name": f"{school['name']}片区",
                "school_codes": [school["school_code"]],
            },
            "geometry": square(
                school["location"]["longitude"], school["location"]["latitude"], ZONE_HALF_SIDE
            ),
        }
        for index, school in enumerate((s for s in schools if s["levels"] == ["primary"]), start=1)
    ]


class Children:
    """Distinct children of entry age for YEAR: 公民身份号码 = 150602 + birth date + sequence +
    MOD 11-2 check character; born 2018-09-01 … 2019-08-31 (6 by 31 August 2025)."""

    def __init__(self) -> None:
        first = date(YEAR - 7, 9, 1)
        days = [first + timedelta(days=d) for d in range(365)]
        self._pairs = ((day, seq) for seq in range(1, 1000) for day in days)

    def next(self, *, valid: bool = True) -> tuple[str, str]:
        day, seq = next(self._pairs)
        body = f"{COUNTY}{day:%Y%m%d}{seq:03d}"
        check = citizen_id_check_character(body)
        if not valid:  # any other character fails the check
            check = "0" if check != "0" else "1"
        return body + check, day.isoformat()


@dataclass
class Mix:
    zones: list[dict[str, Any]]
    children: Children = field(default_factory=Children)
    applications: list[str] = field(default_factory=list)  # ids the families read back
    rng: random.Random = field(default_factory=lambda: random.Random(20251))

    def pick(self) -> str:
        return self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]

    def application(self, *, valid: bool) -> dict[str, Any]:
        citizen_id, birth_date = self.children.next(valid=valid)
        ring = self.zones[self.rng.randrange(len(self.zones))]["geometry"]["coordinates"][0]
        (x0, y0), (x1, y1) = ring[0], ring[2]
        home = {  # strictly inside the zone, away from its border
            "longitude": round(self.rng.uniform(x0 + 1e-4, x1 - 1e-4), 6),
            "latitude": round(self.rng.uniform(y0 + 1e-4, y1 - 1e-4), 6),
        }
        return {
            "county_code": COUNTY,
            "year": YEAR,
            "grade": 1,
            "child": {"citizen_id": citizen_id, "name": "测试儿童", "birth_date": birth_date},
            "guardian": {"name": "测试家长", "relation": "mother", "phone": "13800000000"},
            "household": {
                "hukou": {"county_code": COUNTY, "type": "urban", "address": "东胜区某街道"},
                "housing": "owned",
                "social_insurance_months": 36,
            },
            "home": {**home, "address": "东胜区某路1号"},
        }

    def request(self, operation: str, prefix: str) -> tuple[str, str, dict[str, Any]]:
        """(method, path, httpx keyword arguments) for one operation; prefix '' is direct."""
        if operation in ("submit", "submit_bad_id"):
            return (
                "POST",
                f"{prefix}/v1/applications",
                {
                    "json": self.application(valid=operation == "submit"),
                    "headers": {"Idempotency-Key": str(uuid4())},
                },
            )
        if operation == "status":
            application_id = self.applications[self.rng.randrange(len(self.applications))]
            return "GET", f"{prefix}/v1/applications/{application_id}", {}
        if operation == "list_applications":
            return (
                "GET",
                f"{prefix}/v1/applications",
                {"params": {"county_code": COUNTY, "limit": 50}},
            )
        if operation == "list_schools":
            return "GET", f"{prefix}/v1/schools", {"params": {"county_code": COUNTY}}
        if operation == "list_teachers":
            return "GET", f"{prefix}/v1/teachers", {"params": {"county_code": COUNTY, "limit": 50}}
        return "POST", f"{prefix}/v1/assessments", {"json": {"county_code": COUNTY, "year": YEAR}}


@dataclass
class Results:
    latencies_ms: dict[tuple[str, str], list[float]] = field(
        default_factory=lambda: defaultdict(list)
    )
    errors: dict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


async def phase(
    path: str,
    clients: dict[str, httpx.AsyncClient],
    prefixes: dict[str, str],
    mix: Mix,
    results: Results,
) -> None:
    deadline = time.monotonic() + SECONDS

    async def user() -> None:
        while time.monotonic() < deadline:
            operation = mix.pick()
            service = SERVICE_OF[operation]
            method, url, options = mix.request(operation, prefixes[service])
            started = time.perf_counter()
            outcome: str | None
            try:
                response = await clients[service].request(method, url, **options)
                outcome = (
                    None
                    if response.status_code == EXPECTED[operation]
                    else str(response.status_code)
                )
            except httpx.TimeoutException:
                outcome, response = "timeout", None
            except httpx.HTTPError as exc:
                outcome, response = type(exc).__name__, None
            elapsed = (time.perf_counter() - started) * 1000
            results.latencies_ms[(path, operation)].append(elapsed)
            if outcome is not None:
                results.errors[(path, operation)][outcome] += 1
            elif operation == "submit" and response is not None:
                mix.applications.append(response.json()["id"])

    started = time.monotonic()
    await asyncio.gather(*(user() for _ in range(CONCURRENCY)))
    results.seconds[path] += time.monotonic() - started


async def drive(system: System, token: str, mix: Mix) -> Results:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    gateway = httpx.AsyncClient(
        base_url=system.gateway_url, headers=headers, timeout=TIMEOUT_S, limits=limits
    )
    direct = {
        name: httpx.AsyncClient(
            base_url=system.service_url(name), headers=headers, timeout=TIMEOUT_S, limits=limits
        )
        for name in ("enrollment", "staffing", "evaluation")
    }
    setups = {
        "gateway": ({name: gateway for name in direct}, {name: f"/{name}" for name in direct}),
        "direct": (direct, {name: "" for name in direct}),
    }
    results = Results()
    try:
        for path in itertools.islice(itertools.cycle(("gateway", "direct")), 2 * ROUNDS):
            clients, prefixes = setups[path]
            print(f"  phase {path:<8} {SECONDS:.0f} s, {CONCURRENCY} users …", flush=True)
            await phase(path, clients, prefixes, mix, results)
    finally:
        await gateway.aclose()
        for client in direct.values():
            await client.aclose()
    return results


def prepare(system: System, token: str) -> Mix:
    demo = json.loads((ROOT / "demo" / "150602-dongsheng-schools.json").read_text())
    load_demo_county(system, token, ROOT / "demo" / "150602-dongsheng-schools.json")
    load_demo_resources(
        system,
        token,
        ROOT / "demo" / "150602-school-resources-2025.json",
        system.var / "demo-school-resources-2025.xlsx",
    )
    from enrollment.admission.schemas import PriorityPolicyPut  # the service's own example

    policy = copy.deepcopy(PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0])  # type: ignore[index]
    mix = Mix(zones=primary_zones(demo["schools"]))
    with httpx.Client(
        base_url=system.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        steps = [
            (
                "POST",
                "/enrollment/v1/zone-maps",
                {
                    "county_code": COUNTY,
                    "level": "primary",
                    "year": YEAR,
                    "effective_from": f"{YEAR}-01-01",
                    "zones": {"type": "FeatureCollection", "features": mix.zones},
                },
            ),
            ("PUT", f"/enrollment/v1/priority-policies/{COUNTY}/{YEAR}/primary", policy),
        ]
        for method, url, body in steps:
            response = http.request(method, url, json=body)
            if response.status_code != 201:
                raise RuntimeError(f"{method} {url}: {response.status_code} {response.text}")
        for _ in range(20):  # families who applied before the peak: something to read back
            response = http.post("/enrollment/v1/applications", json=mix.application(valid=True))
            if response.status_code != 201:
                raise RuntimeError(f"seed application: {response.status_code} {response.text}")
            mix.applications.append(response.json()["id"])
        deadline = time.monotonic() + 60  # evaluation learns the schools from enrollment's events
        while True:
            response = http.post(
                "/evaluation/v1/assessments", json={"county_code": COUNTY, "year": YEAR}
            )
            if response.status_code == 201:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"assessment never ready: {response.status_code} {response.text}"
                )
            time.sleep(1)
    return mix


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(results: Results) -> None:
    print(
        f"\nLoad profile: {CONCURRENCY} users, {ROUNDS} × ({SECONDS:.0f} s gateway + "
        f"{SECONDS:.0f} s direct), interleaved; latencies in ms; ratio = gateway ÷ direct req/s"
    )
    header = (
        f"{'operation':<18}{'path':<9}{'count':>7}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}"
        f"{'errors':>8}{'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    rates: dict[tuple[str, str], float] = {}
    for operation in [*WEIGHTS, "total"]:
        for path in ("gateway", "direct"):
            if operation == "total":
                values = [v for (p, _), vs in results.latencies_ms.items() if p == path for v in vs]
                errors = sum(sum(c.values()) for (p, _), c in results.errors.items() if p == path)
            else:
                values = results.latencies_ms.get((path, operation), [])
                errors = sum(results.errors.get((path, operation), Counter()).values())
            rate = len(values) / results.seconds[path] if results.seconds[path] else 0.0
            rates[(operation, path)] = rate
            ratio = ""
            if path == "direct" and rate:
                ratio = f"{rates[(operation, 'gateway')] / rate:.2f}"
            if values:
                p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
                figures = f"{p50:>8.1f}{p95:>8.1f}{p99:>8.1f}"
            else:
                figures = f"{'-':>8}{'-':>8}{'-':>8}"
            print(
                f"{operation if path == 'gateway' else '':<18}{path:<9}{len(values):>7}"
                f"{rate:>8.1f}{figures}{errors:>8}{ratio:>7}"
            )
    listed = sorted(results.errors.items())
    print("\nerrors (unexpected status, timeout, transport error):" + ("" if listed else " none"))
    for (path, operation), counts in listed:
        print(f"  {path:<8} {operation:<18} " + ", ".join(f"{k} × {n}" for k, n in counts.items()))


def main() -> None:
    began = time.monotonic()
    system = System(
        var=Path(tempfile.mkdtemp(prefix="junheng-load-")),
        gateway_port=free_port(),
        agencies=(),  # the mix does not reach assistance's partner agencies
        ready_timeout=300,  # a busy machine starts slowly
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_SECOND": "1000000",
            "GATEWAY_RATE_LIMIT_BURST": "1000000",
            "JUNHENG_LOG_LEVEL": "WARNING",
        },
    )
    print("starting the system (nats-server, four services, gateway) …", flush=True)
    try:
        system.start()
        print("registering a client …", flush=True)
        credentials = system.register_client(
            name="load-profile bureau", scopes=ALL_SCOPES, jurisdiction=[COUNTY]
        )
        token = system.token(credentials)
        print("loading the demo county, zones and policy …", flush=True)
        mix = prepare(system, token)
        results = asyncio.run(drive(system, token, mix))
    finally:
        system.stop()
    report(results)
    print(f"\nwhole run (start-up, loading, {2 * ROUNDS} phases): {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
