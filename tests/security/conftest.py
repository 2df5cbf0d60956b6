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
from junheng_devtools.demo import load_demo_county, load_demo_resources, load_demo_roster
from junheng_devtools.demo_roster import Pupil, pupils, roster_csv, write_agency_candidates
from junheng_devtools.system import ALL_SCOPES, DEMO_ASSISTANCE_CLOCK_AT, System

from junheng_kit.identifiers import citizen_id_check_character

ROOT = Path(__file__).resolve().parents[2]

DONGSHENG = "150602"  # 鄂尔多斯市东胜区
TONGYU = "220822"  # 白城市通榆县
KANGBASHI = "150603"  # 鄂尔多斯市康巴什区: Dongsheng's neighbour in the same prefecture

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
            # one token per scope set, all from 127.0.0.1 within a minute
            "GATEWAY_TOKEN_ATTEMPTS_PER_ADDRESS_PER_MINUTE": "100000",
            "GATEWAY_OPENAPI_TIMEOUT_SECONDS": "60",
        },
        # the seeded 公示 starts 2026-11-09: assistance records it that day (make run's demo day)
        assistance_clock_at=DEMO_ASSISTANCE_CLOCK_AT,
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
    # a parameter each service names alike but fills with its own records (`hold_id`: each
    # service's legal hold; `job_id`: enrollment's re-check job, assistance's identification
    # job): service → parameter → a record of that service, never in `values`
    by_service: dict[str, dict[str, str]] = field(default_factory=dict)
    # a parameter whose value only one operation takes (`kind`: a retention rule's record kind,
    # but an import template's sheet kind): published path template → parameter → value
    by_path: dict[str, dict[str, str]] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)  # Dongsheng's ids and codes
    citizen_ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)  # aid categories agencies answered
    failures: list[str] = field(default_factory=list)
    error_bodies: list[str] = field(default_factory=list)  # every 4xx body seen (PII scan)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)  # operation → valid request

    def values_for(self, service: str | None, path: str = "") -> dict[str, str]:
        """The values to put in an operation of `service` at `path`: its own records win, the
        operation's own values over those."""
        return {
            **self.values,
            **self.by_service.get(service or "", {}),
            **self.by_path.get(path, {}),
        }

    def keep(self, service: str, name: str, record_id: str) -> None:
        """A record of `service` under a parameter name other services use for their own."""
        self.by_service.setdefault(service, {})[name] = record_id
        self.markers.add(record_id)

    def check(self, what: str, response: httpx.Response, *expected: int) -> dict[str, Any]:
        if 400 <= response.status_code < 500:
            self.error_bodies.append(response.text)
        if response.status_code not in expected:
            self.failures.append(f"{what}: {response.status_code} {response.text[:1000]}")
            return {}
        body = response.json() if response.content else {}
        return body if isinstance(body, dict) else {"items": body}

    def write(
        self,
        http: httpx.Client,
        what: str,
        operation: str,
        *expected: int,
        path: dict[str, str] | None = None,
        **request: Any,
    ) -> dict[str, Any]:
        """Send a write (`operation` as "POST /path/{name}", names filled from `values`, then
        `path`) and keep its first request: Tongyu replays it on Dongsheng's records."""
        method, template = operation.split(" ", 1)
        self.requests.setdefault(operation, request)
        service = template.split("/")[1]
        url = template.format_map({**self.values_for(service, template), **(path or {})})
        return self.check(what, http.request(method, url, **request), *expected)


def example(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The first documented example of an operation's JSON body (merged document)."""
    content = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    schema = content["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return copy.deepcopy(dict(schema["examples"][0]))


LAWFUL = {"purpose": "2026 秋季学期家庭经济困难学生认定", "legal_basis": "教财〔2018〕16号"}
RUNS = "/enrollment/v1/assignment-runs"
APPLICATION = "/enrollment/v1/applications/{application_id}"
COUNTY = "/staffing/v1/counties/{county_code}"
PLAN = "/staffing/v1/rotation-plans/{plan_id}"
AWARD = "/assistance/v1/awards/{award_id}"


RETENTION_RULE = "/v1/retention-rules/{scope_code}/{kind}/{effective_from}"
# what each service's purge would do under Dongsheng's rule: a hundred years, never in a test
RETENTION_BODY = {"keep_months": 1200, "action": "pseudonymise", "source": "东胜区教育局（测试）"}
RETENTION_ANCHORS = {
    "application.not_admitted": "school_year_start",
    "student.left": "roster_change",
}


def seed_retention_rule(seeded: Seeded, http: httpx.Client, service: str, kind: str) -> None:
    """Dongsheng's 保存期限 of one of `service`'s kinds (scope 150602, from `effective_from`):
    the retention-rule operations then read and write a rule that exists."""
    path = f"/{service}{RETENTION_RULE}"
    seeded.by_path[path] = {"kind": kind}
    seeded.write(
        http,
        f"{service} retention rule",
        f"PUT {path}",
        201,
        json={**RETENTION_BODY, "counted_from": RETENTION_ANCHORS[kind]},
    )


def seed_assignment_run(seeded: Seeded, http: httpx.Client, application: dict[str, Any]) -> None:
    """电脑派位 from stored applications: the application reviewed to `verified`, then a run
    over the county's verified applications, seat plans and priority policy (an explicit
    instance would hold no county data)."""
    transitions = f"POST {APPLICATION}/transitions"
    seeded.write(http, "verifying", transitions, 200, json={"to": "verifying"})
    for item in application["checklist"]:
        seeded.write(
            http,
            f"verification of {item['document']}",
            f"PUT {APPLICATION}/verifications/{{document}}",
            200,
            path={"document": item["document"]},
            json={"result": "confirmed", "source": "窗口核验"},
        )
    seeded.write(http, "verified", transitions, 200, json={"to": "verified"})
    run = seeded.write(
        http,
        "assignment run",
        f"POST {RUNS}",
        201,
        json={
            "county_code": DONGSHENG,
            "year": 2025,
            "level": "primary",
            "seed": "2025-东胜区-公证处-0731",
            "mechanism": "deferred_acceptance",
            "tie_breaking": "single",
        },
    )
    if run:
        if application["id"] not in run.get("assignments", {}):
            seeded.failures.append(f"assignment run without the application: {run}")
        seeded.values["run_id"] = run["id"]
        seeded.markers.add(run["id"])


def seed_rotation_plan(
    seeded: Seeded, http: httpx.Client, teacher: dict[str, Any], receiving: str
) -> None:
    """交流轮岗: the teacher's school (urban) and another primary school (rural, one free
    approved post), 19 pupils each. The plan moves the teacher there; both schools confirm, the
    county approves (with a justification: no backbone teacher to send) and it is executed.
    Then a loan from the county's turnover pool to the receiving school, and its return."""
    sending, year = teacher["school_code"], 2025
    seeded.write(
        http,
        "enrolment",
        f"PUT {COUNTY}/enrolment",
        204,
        json={
            "year": year,
            "schools": [
                {"school_code": sending, "area": "urban", "primary_pupils": 19},
                {"school_code": receiving, "area": "rural", "primary_pupils": 19},
            ],
        },
    )
    seeded.write(
        http,
        "quota approval",
        f"POST {COUNTY}/quota-ledger",
        201,
        json={
            "year": year,
            "kind": "approval",
            "reason": "编制核定",
            "entries": [
                {"school_code": sending, "approved_posts": 1},
                {"school_code": receiving, "approved_posts": 1},
            ],
        },
    )
    retirement = {
        "trigger_years": 6,  # the county's own eligibility condition (no built-in value)
        "retirement_window_years": 5,
        "retirement_age_male": 60,
        "retirement_age_female": 55,
    }
    plan = seeded.write(
        http,
        "rotation plan",
        f"POST {COUNTY}/rotation-plans",
        201,
        json={"year": year, "parameters": retirement},
    )
    if not plan:
        return
    if [m["teacher_id"] for m in plan["moves"]] != [teacher["id"]]:
        seeded.failures.append(f"rotation plan without the teacher's move: {plan['moves']}")
    seeded.values["plan_id"] = plan["id"]
    seeded.markers.add(plan["id"])
    for school in plan["awaiting_confirmation"]:
        plan = seeded.write(
            http,
            f"confirmation by {school}",
            f"POST {PLAN}/confirmations",
            201,
            json={"school_code": school, "signatory": "校长"},
            headers={"If-Match": f'"{plan["version"]}"'},
        )
    for what, operation, body in (
        ("approval", "approval", {"justification": "本年度无符合条件的骨干教师可交流"}),
        ("execution", "execution", {"moved_on": "2025-09-01"}),
    ):
        plan = plan and seeded.write(
            http,
            what,
            f"POST {PLAN}/{operation}",
            200,
            json=body,
            headers={"If-Match": f'"{plan["version"]}"'},
        )
    seeded.write(
        http,
        "turnover pool",
        f"POST {COUNTY}/policy-parameters",
        201,
        json={
            "key": "quota_turnover_pool_posts",
            "value": "2",
            "effective_from": "2025-01-01",
            "source": "东胜区编制周转池（测试）",
        },
    )
    loan = seeded.write(
        http,
        "quota loan",
        f"POST {COUNTY}/quota-loans",
        201,
        json={
            "school_code": receiving,
            "posts": 1,
            "reason": "产假集中，临时补充编制",
            "lent_on": "2025-10-01",
            "due_on": "2026-07-31",
        },
    )
    if loan:
        seeded.values["loan_id"] = loan["id"]
        seeded.markers.add(loan["id"])
        seeded.write(
            http,
            "loan return",
            "POST /staffing/v1/quota-loans/{loan_id}/return",
            200,
            json={"returned_on": "2026-07-01"},
        )


def seed_awards(seeded: Seeded, http: httpx.Client) -> None:
    """应助尽助: an identification job over the roster against the agency simulators proposes
    awards and queues review items (the first is rejected); one award goes through school
    review, 公示 (five working days, 2026-11-09 … 11-13) with an objection received during it
    and dismissed, county approval after it and a disbursement."""
    started = seeded.write(
        http,
        "identification job",
        "POST /assistance/v1/identification-jobs",
        202,
        json={"county_code": DONGSHENG, "school_year": 2026, "refresh_lists": True, **LAWFUL},
    )
    if not started:
        return
    seeded.keep("assistance", "job_id", started["id"])
    job: dict[str, Any] = started
    deadline = time.monotonic() + 180  # a few seconds unless the machine is very busy
    while job.get("status") not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = seeded.check("job", http.get(f"/assistance/v1/identification-jobs/{job['id']}"), 200)
    if job.get("status") != "succeeded":
        seeded.failures.append(f"identification job: {job}")
        return
    awards = seeded.check(
        "awards",
        http.get(
            "/assistance/v1/awards",
            params={"county_code": DONGSHENG, "status": "proposed", "limit": 500},
        ),
        200,
    ).get("items", [])
    if not awards:
        seeded.failures.append(f"the identification job proposed no award: {job['counts']}")
        return
    seeded.markers |= {a["id"] for a in awards}
    items = seeded.check(
        "review items",
        http.get("/assistance/v1/review-items", params={"county_code": DONGSHENG}),
        200,
    ).get("items", [])
    if items:  # names that differ from an agency's list for the same ID (the roster has some)
        seeded.values["item_id"] = items[0]["id"]
        seeded.markers |= {i["id"] for i in items}
        seeded.write(
            http,
            "review decision",
            "POST /assistance/v1/review-items/{item_id}/decision",
            200,
            json={"decision": "reject", "reason": "姓名不符，待学校核实"},
        )
    award = awards[0]
    seeded.values["award_id"] = award["id"]

    def version() -> dict[str, str]:
        return {"If-Match": http.get(f"/assistance/v1/awards/{award['id']}").headers["ETag"]}

    seeded.write(
        http,
        "review",
        f"POST {AWARD}/review",
        200,
        json={
            "result": "approved",
            "reviewer": "王老师",
            "panel": ["王老师", "李老师", "家长代表"],
            "reasons": "民政名单核实",
        },
        headers=version(),
    )
    batch = seeded.write(
        http,
        "publicity batch",
        "POST /assistance/v1/publicity-batches",
        201,
        json={"county_code": DONGSHENG, "starts_on": "2026-11-09", "award_ids": [award["id"]]},
    )
    if batch:
        seeded.values["batch_id"] = batch["id"]
        seeded.markers.add(batch["id"])
        objection = seeded.write(
            http,
            "objection",
            "POST /assistance/v1/publicity-batches/{batch_id}/objections",
            201,
            json={"award_id": award["id"], "received_on": "2026-11-10", "summary": "家庭收入存疑"},
        )
        if objection:
            seeded.values["objection_id"] = objection["id"]
            seeded.markers.add(objection["id"])
            seeded.write(
                http,
                "objection resolution",
                "POST /assistance/v1/objections/{objection_id}/resolution",
                200,
                json={"outcome": "dismissed", "resolution": "经核实低保在册"},
            )
    seeded.write(
        http,
        "approval",
        f"POST {AWARD}/approval",
        200,
        json={"approved_on": "2026-11-16"},
        headers=version(),
    )
    paid = seeded.write(
        http,
        "disbursement",
        "POST /assistance/v1/disbursements",
        201,
        json={
            "county_code": DONGSHENG,
            "paid_on": "2026-11-20",
            "channel": "social_security_card",
            "items": [{"award_id": award["id"], "amount_yuan": award["amount_yuan"]}],
        },
    )
    if paid:
        seeded.values["disbursement_id"] = paid["id"]
        seeded.markers.add(paid["id"])


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
    copies, seat plans, zone map, cohorts, resident population, seat standard, priority policy,
    application, assignment run, legal holds (enrollment's and assistance's own), teacher,
    quotas, rotation plan, quota loan, resources, assessment, county items, pupils, agency
    lookups, identification job, review item, award, 公示 batch, objection, disbursement,
    re-check job), and some bad input echoing IDs."""
    seeded = Seeded(values={"county_code": DONGSHENG, "region_code": DONGSHENG, "year": "2025"})
    token = token_for(ALL_SCOPES, (DONGSHENG,))
    doc = merged_openapi
    schools = json.loads((ROOT / "demo" / "150602-dongsheng-schools.json").read_text())["schools"]
    load_demo_county(system, token, ROOT / "demo" / "150602-dongsheng-schools.json")
    primary = next(s["school_code"] for s in schools if "primary" in s["levels"])
    seeded.values["school_code"] = primary
    seeded.markers |= {s["school_code"] for s in schools} | {DONGSHENG}

    seats = "/enrollment/v1/schools/{school_code}/seats/{year}"
    seeded.write(dongsheng, "seat plan", f"PUT {seats}", 200, 201, json=example(doc, "put", seats))
    zone_map = example(doc, "post", "/enrollment/v1/zone-maps")
    zone_map |= {"year": 2025, "effective_from": "2025-01-01"}  # the application's year
    for feature in zone_map["zones"]["features"]:
        feature["properties"]["school_codes"] = [primary]
    ring = zone_map["zones"]["features"][0]["geometry"]["coordinates"][0][:-1]
    inside = {  # the first zone's centre: the child lives there
        "longitude": round(sum(x for x, _ in ring) / len(ring), 6),
        "latitude": round(sum(y for _, y in ring) / len(ring), 6),
    }
    made = seeded.write(dongsheng, "zone map", "POST /enrollment/v1/zone-maps", 201, json=zone_map)
    if made:
        seeded.values["map_id"] = made["id"]
        seeded.markers.add(made["id"])
    cohorts_path = "/enrollment/v1/zones/cohorts/{county_code}/{year}"
    cohorts = example(doc, "put", cohorts_path)
    zone_codes = {f["properties"]["zone_code"] for f in zone_map["zones"]["features"]}
    cohorts["rows"] = [row for row in cohorts["rows"] if row["zone_code"] in zone_codes]
    seeded.write(dongsheng, "cohorts", f"PUT {cohorts_path}", 200, 201, json=cohorts)
    residents_path = "/enrollment/v1/zones/resident-population/{county_code}/{year}"
    residents = example(doc, "put", residents_path)
    residents["rows"] = [
        row
        for row in residents["rows"]
        if row["zone_code"] in zone_codes and row["level"] == zone_map["level"]
    ]
    seeded.write(dongsheng, "resident population", f"PUT {residents_path}", 200, json=residents)
    seeded.values |= {"scope_code": DONGSHENG, "effective_from": "2025-01-01"}
    standard = "/enrollment/v1/seat-standards/{scope_code}/{level}/{effective_from}"
    seeded.write(
        dongsheng,
        "seat standard",
        f"PUT {standard}",
        201,
        path={"level": "primary"},
        json=example(doc, "put", standard),
    )
    policy = "/enrollment/v1/priority-policies/{county_code}/{year}/{level}"
    seeded.write(
        dongsheng,
        "priority policy",
        f"PUT {policy}",
        200,
        201,
        path={"level": "primary"},
        json=example(doc, "put", policy),
    )
    application = example(doc, "post", "/enrollment/v1/applications")
    application["choices"] = [primary]
    application["home"] |= inside
    seeded.citizen_ids.add(application["child"]["citizen_id"])
    seeded.names.add(application["child"]["name"])
    made = seeded.write(
        dongsheng, "application", "POST /enrollment/v1/applications", 201, json=application
    )
    if made:
        seeded.values["application_id"] = made["id"]
        seeded.markers.add(made["id"])
        seed_assignment_run(seeded, dongsheng, made)
        hold = seeded.write(
            dongsheng,
            "legal hold",
            "POST /enrollment/v1/legal-holds",
            201,
            json={
                "kind": "application.not_admitted",
                "county_code": DONGSHENG,
                "record_id": made["id"],
                "reason": "行政复议 / administrative review",
            },
        )
        if hold:
            seeded.keep("enrollment", "hold_id", hold["id"])
        seed_retention_rule(seeded, dongsheng, "enrollment", "application.not_admitted")

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
        seeded.requests["POST /staffing/v1/teachers"] = {"json": teacher}
        seeded.values["teacher_id"] = made["id"]
        seeded.markers.add(made["id"])
        record = seeded.write(
            dongsheng,
            "training record",
            "POST /staffing/v1/teachers/{teacher_id}/training-records",
            201,
            json={"programme": "国培计划（2024）", "completed_on": "2024-07-19", "hours": "72"},
        )
        if record:
            seeded.values["record_id"] = str(record["id"])
            seeded.markers.add(str(record["id"]))
        receiving = [s["school_code"] for s in schools if "primary" in s["levels"]][1]
        seed_rotation_plan(seeded, dongsheng, made, receiving)
    else:
        seeded.failures.append(f"teacher: {response.status_code} {response.text[:300]}")

    sheet = tmp_path_factory.mktemp("sheets") / "resources.xlsx"
    load_demo_resources(system, token, ROOT / "demo" / "150602-school-resources-2025.json", sheet)
    made = seeded.write(
        dongsheng,
        "assessment",
        "POST /evaluation/v1/assessments",
        201,
        json={"county_code": DONGSHENG, "year": 2025},
    )
    if made:
        seeded.values["assessment_id"] = made["id"]
        seeded.markers.add(made["id"])
    item = "/evaluation/v1/counties/{county_code}/years/{year}/items/{key}"
    seeded.write(
        dongsheng,
        "county item",
        f"PUT {item}",
        200,
        201,
        path={"key": "rotation_share"},
        json=example(doc, "put", item),
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
        hold = seeded.write(
            dongsheng,
            "legal hold",
            "POST /assistance/v1/legal-holds",
            201,
            json={
                "kind": "student.left",
                "county_code": DONGSHENG,
                "record_id": students[0]["id"],
                "reason": "行政复议 / administrative review",
            },
        )
        if hold:
            seeded.keep("assistance", "hold_id", hold["id"])
        seed_retention_rule(seeded, dongsheng, "assistance", "student.left")
    for student in students[:40]:
        answered = seeded.write(
            dongsheng,
            "lookup",
            "POST /assistance/v1/lookups",
            200,
            201,
            json={"student_id": student["id"], **LAWFUL},
        )
        for result in answered.get("results", []):
            assertion = result.get("assertion") or {}
            seeded.categories |= {c["category"] for c in assertion.get("categories") or []}
    seed_awards(seeded, dongsheng)
    recheck = seeded.check(  # 复核: the county's open applications asked again (a job)
        "re-check job",
        dongsheng.post("/enrollment/v1/facts/recheck", params={"county": DONGSHENG}),
        202,
    )
    if recheck:
        seeded.keep("enrollment", "job_id", recheck["id"])

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
