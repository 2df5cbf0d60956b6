"""The demo county, loaded through the gateway as a bureau would load its own: the school
registry (enrollment), the school resource data (evaluation, also written as an XLSX to try the
import) and the classes of every grade (evaluation: one 57-pupil class fails 班额), the pupil
roster (assistance) and the next grade-1 intake (enrollment: zone map, seat plans, priority
policy, families' applications reviewed to `verified`). `make run`, `make cluster`, the
end-to-end tests and the benchmarks use it."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from junheng_devtools.demo_classes import demo_classes

if TYPE_CHECKING:
    from junheng_devtools.system import System


def load_demo_county(system: System, token: str, path: Path) -> int:
    """Register the demo county's schools through the gateway (with their national codes:
    办学类型, 城乡分类代码, an invented 统计用区划代码, 办学性质); reruns change nothing."""
    data = json.loads(path.read_text())
    created = 0
    with httpx.Client(
        base_url=system.gateway_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        for school in data["schools"]:
            body = {**school, "county_code": data["county_code"]}
            response = http.post(
                "/enrollment/v1/schools",
                json=body,
                headers={"Idempotency-Key": f"demo-{school['school_code']}"},
            )
            if response.status_code == 201:
                created += 1
            elif response.status_code != 409:
                raise RuntimeError(f"demo school {school['school_code']}: {response.text}")
    return created


def load_demo_resources(system: System, token: str, path: Path, xlsx_out: Path) -> int:
    """Store the demo county's school resource data in evaluation (through the gateway) and
    write the same table as an XLSX with the Chinese column titles, to try the import."""
    data = json.loads(path.read_text())
    columns = data["columns"]
    schools = [dict(zip(columns, row, strict=True)) for row in data["rows"]]
    url = f"/evaluation/v1/school-resources/{data['county_code']}/{data['year']}"
    with httpx.Client(
        base_url=system.gateway_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        response = http.put(url, json={"schools": schools})
        if response.status_code != 200:
            raise RuntimeError(f"demo resources: {response.text}")
    # the launcher runs the whole workspace; the sheet layout belongs to evaluation
    from evaluation.resources.tables import write_xlsx

    xlsx_out.write_bytes(write_xlsx(schools))
    return len(schools)


def load_demo_classes(system: System, token: str, path: Path) -> int:
    """Store the demo county's classes (班级学生数) in evaluation, derived from the resource table
    (junheng_devtools.demo_classes: one 57-pupil class fails 班额)."""
    data = json.loads(path.read_text())
    sections = [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]
    classes = demo_classes(sections)
    url = f"/evaluation/v1/school-classes/{data['county_code']}/{data['year']}"
    with httpx.Client(
        base_url=system.gateway_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        response = http.put(url, json={"classes": classes})
        if response.status_code != 200:
            raise RuntimeError(f"demo classes: {response.text}")
    return len(classes)


def load_demo_roster(system: System, token: str, roster_csv: bytes, *, wait: float = 60.0) -> int:
    """Import the demo county's pupil roster into assistance (upserts: reruns change nothing).

    Assistance's copy of the school registry fills from enrollment's events, a moment after the
    schools were registered: while the only refusal is `school_registered` the import is tried
    again, for at most `wait` seconds."""
    deadline = time.monotonic() + wait
    with httpx.Client(
        base_url=system.gateway_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        while True:
            response = http.post(
                "/assistance/v1/students/imports",
                content=roster_csv,
                headers={"Content-Type": "text/csv"},
            )
            if response.status_code in (200, 201):
                return roster_csv.count(b"\n") - 1
            if not (registry_copy_behind(response) and time.monotonic() < deadline):
                raise RuntimeError(f"demo roster: {response.text}")
            time.sleep(0.25)


def registry_copy_behind(response: httpx.Response) -> bool:
    """A refusal naming only schools the registry copy does not hold (yet)."""
    if response.status_code != 422:
        return False
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return False
    return bool(errors) and all(e.get("rule") == "school_registered" for e in errors)


def load_demo_enrollment(
    system: System, token: str, path: Path, *, today: date | None = None
) -> dict[str, Any]:
    """The demo county's next grade-1 intake in enrollment, through the gateway: the primary
    zone map, seat plans, the priority policy and invented families' applications, each
    reviewed (checklist confirmed) to `verified` — ready for 电脑派位. Skipped when the year's
    zone map is already there (reruns of `make run`)."""
    from junheng_devtools.demo_enrollment import families, intake_year
    from junheng_kit.timeutil import china_today

    today = today or china_today()
    demo = json.loads(path.read_text())
    county, year, level = demo["county_code"], intake_year(today), demo["level"]
    summary: dict[str, Any] = {"year": year, "applications": 0, "loaded": False}
    with httpx.Client(
        base_url=f"{system.gateway_url}/enrollment",
        timeout=60,
        headers={"Authorization": f"Bearer {token}"},
    ) as http:

        def ok(response: httpx.Response) -> Any:
            if response.status_code >= 300:
                raise RuntimeError(f"demo enrollment: {response.request.url}: {response.text}")
            return response.json()

        maps = ok(
            http.get("/v1/zone-maps", params={"county_code": county, "level": level, "year": year})
        )
        if maps["items"]:
            return summary
        ok(
            http.post(
                "/v1/zone-maps",
                json={
                    "county_code": county,
                    "level": level,
                    "year": year,
                    "effective_from": today.isoformat(),
                    "zones": demo["zones"],
                },
            )
        )
        for code, plan in demo["seat_plans"].items():
            ok(http.put(f"/v1/schools/{code}/seats/{year}", json=plan))
        ok(
            http.put(
                f"/v1/priority-policies/{county}/{year}/{level}",
                json={
                    **demo["policy"],
                    "effective_from": today.isoformat(),
                    "reference_date": f"{year}-08-31",
                },
            )
        )
        for n, body in enumerate(families(demo, year, today=today)):
            created = ok(
                http.post(
                    "/v1/applications",
                    json=body,
                    headers={"Idempotency-Key": f"demo-{county}-{year}-{n}"},
                )
            )
            transitions = f"/v1/applications/{created['id']}/transitions"
            ok(http.post(transitions, json={"to": "verifying"}))
            for item in created["checklist"]:
                ok(
                    http.put(
                        f"/v1/applications/{created['id']}/verifications/{item['document']}",
                        json={"result": "confirmed", "source": "窗口核验 (演示)"},
                    )
                )
            ok(http.post(transitions, json={"to": "verified"}))
            summary["applications"] += 1
    summary["loaded"] = True
    return summary


def load_demo(
    system: System, credentials: dict[str, Any], demo: Path, var: Path
) -> tuple[int, int, dict[str, Any]]:
    """The demo county through the gateway, as `make run` and `make cluster` load it: schools,
    resource data (also written as an XLSX under `var`) and classes, the pupil roster, the
    grade-1 intake.
    The schools created, the pupils on the roster, the intake's summary."""
    token = system.token(credentials)
    created = load_demo_county(system, token, demo)
    load_demo_resources(
        system,
        token,
        demo.parent / "150602-school-resources-2025.json",
        var / "demo-school-resources-2025.xlsx",
    )
    load_demo_classes(system, token, demo.parent / "150602-school-resources-2025.json")
    students = load_demo_roster(system, token, (var / "demo-students.csv").read_bytes())
    intake = load_demo_enrollment(system, token, demo.parent / "150602-enrollment.json")
    return created, students, intake
