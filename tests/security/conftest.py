"""One running system for every security module: nats-server, four services, the gateway and
the partner-agency simulators as real processes (started once per session: ~30 s)."""

import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from junheng_kit.demo_roster import Pupil, pupils, roster_csv, write_agency_candidates
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.system import (
    ALL_SCOPES,
    System,
    load_demo_county,
    load_demo_resources,
    load_demo_roster,
)

ROOT = Path(__file__).resolve().parents[2]

DONGSHENG = "150602"  # 鄂尔多斯市东胜区
TONGYU = "220822"  # 白城市通榆县

ClientFactory = Callable[..., httpx.Client]


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory, roster: list[Pupil]) -> Iterator[System]:
    from junheng_kit.processes import free_port

    registry = tmp_path_factory.mktemp("agencies") / "candidates.csv"
    write_agency_candidates(roster, registry)  # the simulators hold some of these pupils
    running = System(
        var=tmp_path_factory.mktemp("security-system"),
        gateway_port=free_port(),
        agency_region=DONGSHENG,
        agency_registry=registry,
        ready_timeout=240,  # the shared machine is busy: imports alone can take a minute
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_SECOND": "5000",
            "GATEWAY_RATE_LIMIT_BURST": "10000",
            "GATEWAY_OPENAPI_TIMEOUT_SECONDS": "60",
        },
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def token_for(system: System) -> Callable[..., str]:
    """A gateway token for a client holding `scopes` in `jurisdiction` (clients are cached)."""
    tokens: dict[tuple[frozenset[str], tuple[str, ...]], str] = {}
    locks: dict[tuple[frozenset[str], tuple[str, ...]], threading.Lock] = {}
    guard = threading.Lock()  # tests call this from worker threads: one registration per key

    def token(
        scopes: list[str] | tuple[str, ...], jurisdiction: tuple[str, ...] = (DONGSHENG,)
    ) -> str:
        key = (frozenset(scopes), tuple(jurisdiction))
        with guard:
            lock = locks.setdefault(key, threading.Lock())
        with lock:  # other keys register at the same time (each is a CLI process)
            if key not in tokens:
                credentials = system.register_client(
                    name=f"security test client {len(locks)}",
                    scopes=sorted(scopes),
                    jurisdiction=list(jurisdiction),
                )
                tokens[key] = system.token(credentials)
            return tokens[key]

    return token


@pytest.fixture(scope="session")
def client_for(system: System, token_for: Callable[..., str]) -> Iterator[ClientFactory]:
    """An HTTP client (gateway unless `base_url`) with such a token, or none for `scopes=None`."""
    opened: dict[tuple[frozenset[str] | None, tuple[str, ...], str], httpx.Client] = {}
    lock = threading.Lock()

    def client(
        scopes: list[str] | tuple[str, ...] | None = None,
        jurisdiction: tuple[str, ...] = (DONGSHENG,),
        base_url: str | None = None,
    ) -> httpx.Client:
        url = base_url or system.gateway_url
        key = (None if scopes is None else frozenset(scopes), tuple(jurisdiction), url)
        headers = {}
        if scopes is not None:
            headers["Authorization"] = f"Bearer {token_for(scopes, jurisdiction)}"
        with lock:
            if key not in opened:
                opened[key] = httpx.Client(base_url=url, timeout=60, headers=headers)
            return opened[key]

    yield client
    for http in opened.values():
        http.close()


@pytest.fixture(scope="session")
def dongsheng(client_for: ClientFactory) -> httpx.Client:
    return client_for(ALL_SCOPES, (DONGSHENG,))


@pytest.fixture(scope="session")
def tongyu(client_for: ClientFactory) -> httpx.Client:
    return client_for(ALL_SCOPES, (TONGYU,))


@pytest.fixture(scope="session")
def merged_openapi(system: System) -> dict[str, Any]:
    response = httpx.get(f"{system.gateway_url}/openapi.json", timeout=120)
    assert response.status_code == 200
    document = dict(response.json())
    assert "Not listed" not in document["info"].get("description", ""), "a service was missing"
    return document


@dataclass
class Seeded:
    """What Dongsheng wrote: the values to put in other counties' requests, the strings that
    must never reach them, the personal data that must never reach logs/events/errors, and the
    seeding steps that did not succeed (a test reports them)."""

    values: dict[str, str] = field(default_factory=dict)  # path/query parameter → a record of it
    markers: set[str] = field(default_factory=set)  # Dongsheng's ids and codes
    citizen_ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)  # aid categories agencies answered
    failures: list[str] = field(default_factory=list)
    error_bodies: list[str] = field(default_factory=list)  # every 4xx body seen (PII scan)

    def check(self, what: str, response: httpx.Response, *expected: int) -> dict[str, Any]:
        if 400 <= response.status_code < 500:
            self.error_bodies.append(response.text)
        if response.status_code not in expected:
            self.failures.append(f"{what}: {response.status_code} {response.text[:1000]}")
            return {}
        body = response.json() if response.content else {}
        return body if isinstance(body, dict) else {"items": body}


def example(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The first documented example of an operation's JSON body (merged document)."""
    content = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    schema = content["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return copy.deepcopy(dict(schema["examples"][0]))


@pytest.fixture(scope="session")
def roster() -> list[Pupil]:
    demo = json.loads((ROOT / "demo" / "150602-dongsheng-schools.json").read_text())
    return pupils(demo["county_code"], demo["schools"])


@pytest.fixture(scope="session")
def seeded(
    system: System,
    dongsheng: httpx.Client,
    merged_openapi: dict[str, Any],
    roster: list[Pupil],
    token_for: Callable[..., str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Seeded:
    """As Dongsheng (150602): one record of every kind the bureau keeps (schools and their
    copies, seat plans, zone map, cohorts, priority policy, application, teacher, resources,
    assessment, county items, pupils, agency lookups), and some bad input echoing IDs."""
    seeded = Seeded(values={"county_code": DONGSHENG, "region_code": DONGSHENG, "year": "2025"})
    token = token_for(ALL_SCOPES, (DONGSHENG,))
    doc = merged_openapi
    schools = json.loads((ROOT / "demo" / "150602-dongsheng-schools.json").read_text())["schools"]
    load_demo_county(system, token, ROOT / "demo" / "150602-dongsheng-schools.json")
    primary = next(s["school_code"] for s in schools if "primary" in s["levels"])
    seeded.values["school_code"] = primary
    seeded.markers |= {s["school_code"] for s in schools} | {DONGSHENG}

    seats = "/enrollment/v1/schools/{school_code}/seats/{year}"
    seeded.check(
        "seat plan",
        dongsheng.put(
            f"/enrollment/v1/schools/{primary}/seats/2025", json=example(doc, "put", seats)
        ),
        200,
        201,
    )
    zone_map = example(doc, "post", "/enrollment/v1/zone-maps")
    zone_map |= {"year": 2025, "effective_from": "2025-01-01"}  # the application's year
    for feature in zone_map["zones"]["features"]:
        feature["properties"]["school_codes"] = [primary]
    ring = zone_map["zones"]["features"][0]["geometry"]["coordinates"][0][:-1]
    inside = {  # the first zone's centre: the child lives there
        "longitude": round(sum(x for x, _ in ring) / len(ring), 6),
        "latitude": round(sum(y for _, y in ring) / len(ring), 6),
    }
    made = seeded.check("zone map", dongsheng.post("/enrollment/v1/zone-maps", json=zone_map), 201)
    if made:
        seeded.values["map_id"] = made["id"]
        seeded.markers.add(made["id"])
    cohorts = example(doc, "put", "/enrollment/v1/zones/cohorts/{county_code}/{year}")
    zone_codes = {f["properties"]["zone_code"] for f in zone_map["zones"]["features"]}
    cohorts["rows"] = [row for row in cohorts["rows"] if row["zone_code"] in zone_codes]
    seeded.check(
        "cohorts",
        dongsheng.put(f"/enrollment/v1/zones/cohorts/{DONGSHENG}/2025", json=cohorts),
        200,
        201,
    )
    policy = "/enrollment/v1/priority-policies/{county_code}/{year}/{level}"
    seeded.check(
        "priority policy",
        dongsheng.put(
            f"/enrollment/v1/priority-policies/{DONGSHENG}/2025/primary",
            json=example(doc, "put", policy),
        ),
        200,
        201,
    )
    application = example(doc, "post", "/enrollment/v1/applications")
    application["choices"] = [primary]
    application["home"] |= inside
    seeded.citizen_ids.add(application["child"]["citizen_id"])
    seeded.names.add(application["child"]["name"])
    made = seeded.check(
        "application", dongsheng.post("/enrollment/v1/applications", json=application), 201
    )
    if made:
        seeded.values["application_id"] = made["id"]
        seeded.markers.add(made["id"])

    teacher = {
        "citizen_id": "15060219850312002" + citizen_id_check_character("15060219850312002"),
        "name": "乌兰其其格",
        "birth_date": "1985-03-12",
        "school_code": primary,
        "section": "primary",
        "school_joined_on": "2015-09-01",
        "post_type": "full_time",
        "subjects": ["语文"],
        "title": "一级",
        "degree": "本科",
        "backbone_level": None,
        "staffing_status": "在编",
        "hire_date": "2008-09-01",
    }
    seeded.citizen_ids.add(teacher["citizen_id"])
    made = {}
    deadline = time.monotonic() + 60  # the school reaches staffing's copy by event
    while not made and time.monotonic() < deadline:
        response = dongsheng.post("/staffing/v1/teachers", json=teacher)
        if response.status_code == 201:
            made = response.json()
        else:
            time.sleep(0.5)
    if made:
        seeded.values["teacher_id"] = made["id"]
        seeded.markers.add(made["id"])
    else:
        seeded.failures.append(f"teacher: {response.status_code} {response.text[:300]}")

    sheet = tmp_path_factory.mktemp("sheets") / "resources.xlsx"
    load_demo_resources(system, token, ROOT / "demo" / "150602-school-resources-2025.json", sheet)
    made = seeded.check(
        "assessment",
        dongsheng.post("/evaluation/v1/assessments", json={"county_code": DONGSHENG, "year": 2025}),
        201,
    )
    if made:
        seeded.values["assessment_id"] = made["id"]
        seeded.markers.add(made["id"])
    item = "/evaluation/v1/counties/{county_code}/years/{year}/items/{key}"
    seeded.check(
        "county item",
        dongsheng.put(
            f"/evaluation/v1/counties/{DONGSHENG}/years/2025/items/rotation_share",
            json=example(doc, "put", item),
        ),
        200,
        201,
    )

    load_demo_roster(system, token, roster_csv(roster))
    seeded.citizen_ids |= {p.citizen_id for p in roster}
    seeded.names |= {p.name for p in roster}
    listed = seeded.check(
        "students", dongsheng.get("/assistance/v1/students", params={"limit": 500}), 200
    )
    students = listed.get("items", [])
    if students:
        seeded.values["student_id"] = students[0]["id"]
        seeded.markers |= {s["id"] for s in students}
    for student in students[:40]:
        answered = seeded.check(
            "lookup",
            dongsheng.post(
                "/assistance/v1/lookups",
                json={
                    "student_id": student["id"],
                    "purpose": "2026 秋季学期家庭经济困难学生认定",
                    "legal_basis": "教财〔2018〕16号",
                },
            ),
            200,
            201,
        )
        for result in answered.get("results", []):
            assertion = result.get("assertion") or {}
            seeded.categories |= {c["category"] for c in assertion.get("categories") or []}

    # bad input that carries personal data: the refusal must not echo it
    bad_child = {**application["child"], "citizen_id": roster[0].citizen_id[:-1] + "0"}
    for what, response in (
        (
            "bad application",
            dongsheng.post("/enrollment/v1/applications", json={**application, "child": bad_child}),
        ),
        (
            "bad teacher",
            dongsheng.post(
                "/staffing/v1/teachers",
                json={**teacher, "citizen_id": roster[1].citizen_id[:17] + "Y"},
            ),
        ),
        (
            "bad student",
            dongsheng.post(
                "/assistance/v1/students",
                json={
                    "citizen_id": roster[2].citizen_id,
                    "name": roster[2].name,
                    "school_code": "x",
                },
            ),
        ),
        (
            "bad lookup",
            dongsheng.post(
                "/assistance/v1/lookups",
                json={"citizen_id": roster[3].citizen_id, "name": roster[3].name},
            ),
        ),
        (
            "bad import",
            dongsheng.post(
                "/assistance/v1/students/imports",
                content=roster_csv(roster[:3]).replace(b"2020", b"20x0"),
                headers={"Content-Type": "text/csv"},
            ),
        ),
    ):
        seeded.citizen_ids.add(bad_child["citizen_id"])
        seeded.check(what, response, 400, 404, 409, 415, 422)
    return seeded
