"""`make bench`: a county's re-check of 200,000 applications against the four enrollment-source
simulators (户籍, 居住证, 不动产登记, 社保) — goal ≤ 60 s — and the per-application baseline.

Starts four real `agency_sim` processes holding 200,000 generated households (seeded, the same
people the bench declares), migrates a SQLite enrollment database, inserts one application per
household (set-based, status `verifying`, a policy with `data_sharing` and a 随迁子女 tier asking
居住证 ≥ 12 months, a registered lease and 社保 ≥ 12 months), then times the re-check job
(`FactJobs.run`: signed batches per agency, ledger, facts, status moves, committed per chunk),
with the CPU it took in this process and in the simulators (wall time on a shared machine also
waits for other processes).
The baseline asks the same questions one application at a time, one signed request per fact
(the on-demand check), on a sample of SAMPLE applications — measured, then extrapolated to
200,000 (printed as such).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from junheng_devtools.bench import cpu_seconds
from pydantic import SecretStr
from sqlalchemy import insert

from agency_sim.facts_registry import generate_people
from enrollment.admission.models import Application, PriorityPolicy
from enrollment.admission.repository import citizen_id_index
from enrollment.app import create_app
from enrollment.facts import service
from enrollment.settings import EnrollmentSettings
from junheng_kit import fieldcrypt
from junheng_kit.identifiers import student_key
from junheng_kit.ids import uuid7
from junheng_kit.migrations import service_dir, upgrade
from junheng_kit.signing import ensure_private_key
from junheng_kit.timeutil import whole_months

SIZE, SAMPLE, SEED = 200_000, 200, 11
GENERATED = 214_000  # households generated; their citizen IDs repeat a little: 200,000 kept
TODAY = date(2025, 9, 1)
REFERENCE = date(2025, 8, 31)
COUNTY, SCHOOL, YEAR = "150602", "2115000001", 2025
SOURCES = ("hukou", "permit", "estate", "social")
GOAL_SECONDS = 60.0


def start_simulators(workdir: Path) -> dict[str, tuple[subprocess.Popen[bytes], str]]:
    started = {}
    for code in SOURCES:
        port_file = workdir / f"{code}.port"
        process = subprocess.Popen(
            [
                sys.executable, "-m", "agency_sim", "--agency", code, "--port", "0",
                "--port-file", str(port_file), "--key-file", str(workdir / f"{code}.pem"),
                "--trust-key-file", str(workdir / "bureau.pem"), "--region", COUNTY,
                "--size", str(GENERATED), "--seed", str(SEED), "--today", TODAY.isoformat(),
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        started[code] = (process, port_file)
    out = {}
    deadline = time.monotonic() + 180
    for code, (process, port_file) in started.items():
        while not (port_file.exists() and port_file.read_text()):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{code} simulator did not start")
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port_file.read_text()}"
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        out[code] = (process, url)
    return out


def policy_document() -> dict[str, Any]:
    from enrollment.admission.schemas import PriorityPolicyPut

    document: dict[str, Any] = json.loads(
        json.dumps(PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0])  # type: ignore[index]
    )
    document["tiers"][3]["all_of"].append({"fact": "rents_home", "op": "is", "value": True})
    document["documents"]["migrant"] = [
        "hukou_booklet", "residence_permit", "registered_lease", "social_insurance"
    ]  # fmt: skip
    document["data_sharing"] = {"purpose": "入学资格复核", "legal_basis": "《义务教育法》第十二条"}
    return PriorityPolicyPut.model_validate(document).model_dump(mode="json")


def application_rows(secret: bytes) -> list[dict[str, Any]]:
    """One application per generated household (the simulators hold the same people)."""
    people = {
        p.citizen_id: p for p in generate_people(COUNTY, seed=SEED, size=GENERATED, today=TODAY)
    }
    now = datetime.now(UTC)
    rows = []
    for person in people.values():
        migrant = person.hukou_county != COUNTY
        housing = "rented" if person.lease_address else "owned" if person.owned_address else "other"
        household: dict[str, Any] = {
            "hukou": {"county_code": person.hukou_county, "type": "urban", "address": "某地"},
            "housing": housing,
            "social_insurance_months": whole_months(person.social_since, REFERENCE)
            if person.social_since
            else 0,
        }
        if person.permit_issued_on:
            household["residence_permit"] = {"issued_on": person.permit_issued_on.isoformat()}
        cid = person.citizen_id
        rows.append(
            {
                "id": uuid7(), "county_code": COUNTY, "year": YEAR, "level": "primary",
                "grade": 1, "child_key": student_key(secret, cid), "citizen_id": cid,
                "citizen_id_index": citizen_id_index(cid),
                "student_number": None, "child_name": person.name,
                "birth_date": date(int(cid[6:10]), int(cid[10:12]), int(cid[12:14])),
                "gender": "male" if int(cid[16]) % 2 else "female",
                "guardian": {"name": "家长", "relation": "mother", "phone": "13900000000"},
                "household": household, "migrant": migrant, "home_longitude": 109.96,
                "home_latitude": 39.81,
                "home_address": person.permit_address or person.lease_address
                or person.owned_address or person.hukou_address,
                "home_zone_code": "Z1", "hukou_zone_code": None, "home_schools": [SCHOOL],
                "hukou_schools": [], "choices": [SCHOOL], "primary_school_code": None,
                "status": "verifying", "status_reason": None, "created_by": "bench",
                "created_at": now, "updated_at": now, "version": 1,
            }
        )  # fmt: skip
    assert len(rows) >= SIZE, f"only {len(rows)} distinct households"
    return rows[:SIZE]


async def main() -> None:
    fieldcrypt.configure(*fieldcrypt.dev_field_keys())  # personal columns encrypted at rest
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ensure_private_key(workdir / "bureau.pem")
        for code in SOURCES:
            ensure_private_key(workdir / f"{code}.pem")
        print(f"starting four simulators holding {GENERATED:,} generated households …", flush=True)
        sims = start_simulators(workdir)
        try:
            agencies = [
                {
                    "code": code, "name": code, "base_url": url, "timeout_seconds": 60.0,
                    "public_key": ensure_private_key(workdir / f"{code}.pem").public_key_text,
                }
                for code, (_, url) in sims.items()
            ]  # fmt: skip
            (workdir / "agencies.json").write_text(json.dumps(agencies), encoding="utf-8")
            url = f"sqlite+aiosqlite:///{workdir / 'enrollment.sqlite3'}"
            await asyncio.to_thread(upgrade, service_dir("enrollment"), url)  # its own loop
            settings = EnrollmentSettings(
                environment="test",
                secret_key=SecretStr("bench-secret-bench-secret-bench-secret"),
                pseudonym_key=SecretStr("bench-pseudonym-key"),
                field_keys=SecretStr(fieldcrypt.dev_field_keys()[0]),  # those it was seeded with
                blind_index_key=SecretStr(fieldcrypt.dev_field_keys()[1]),
                database_url=url,
                nats_url=None,
                fact_agencies_file=workdir / "agencies.json",
                fact_signing_key_file=workdir / "bureau.pem",
                fact_check_interval_seconds=3600,
            )
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                await run(app, settings, [process.pid for process, _ in sims.values()])
        finally:
            for process, _ in sims.values():
                process.terminate()
                process.wait(timeout=10)


async def run(app: Any, settings: EnrollmentSettings, simulators: list[int]) -> None:
    rows = application_rows(settings.pseudonym_key.get_secret_value().encode())
    async with app.state.sessionmaker() as session:
        session.add(
            PriorityPolicy(
                county_code=COUNTY, year=YEAR, level="primary", version=1,
                effective_from=date(2025, 5, 1), source="bench", document=policy_document(),
                document_sha256="0" * 64, created_by="bench",
            )
        )  # fmt: skip
        for start in range(0, len(rows), 5000):
            await session.execute(insert(Application), rows[start : start + 5000])
        await session.commit()
    migrants = sum(r["migrant"] for r in rows)
    print(f"{len(rows):,} applications ({migrants:,} 随迁子女) of county {COUNTY}", flush=True)

    # baseline: one application at a time, one signed request per fact (on a sample)
    connector = app.state.fact_connector
    sample = [r["id"] for r in rows[:: max(1, len(rows) // SAMPLE)]][:SAMPLE]
    started = time.perf_counter()
    for app_id in sample:
        async with app.state.sessionmaker() as session:
            await service.check(
                session, connector, [app_id], actor="bench", today=TODAY, mode="one_by_one"
            )
            await session.commit()
    per_app = (time.perf_counter() - started) / len(sample)

    async with app.state.sessionmaker() as session:
        job = app.state.fact_jobs.new_job(COUNTY, "bench")
        session.add(job)
        await session.commit()
        job_id = job.id
    sims_before = sum(cpu_seconds(pid) for pid in simulators)
    started, cpu_started = time.perf_counter(), time.process_time()
    await app.state.fact_jobs.run(job_id)
    elapsed = time.perf_counter() - started
    job_cpu = time.process_time() - cpu_started
    sims_cpu = sum(cpu_seconds(pid) for pid in simulators) - sims_before
    async with app.state.sessionmaker() as session:
        from enrollment.facts.models import FactRecheckJob

        done = await session.get(FactRecheckJob, job_id)
        assert done is not None
        assert done.status == "finished", done.detail
        counts = done.counts
    baseline = per_app * len(rows)
    print(f"re-check job, {len(rows):,} applications, batches of {settings.fact_batch_size}:")
    print(f"  {elapsed:8.1f} s   ({len(rows) / elapsed:,.0f} applications/s)   outcomes {counts}")
    print(f"  CPU: {job_cpu:.1f} s in the service process, {sims_cpu:.1f} s in the four "
          "simulators (on a shared machine the wall time also waits for others)")  # fmt: skip
    print(f"baseline, one application at a time, one request per fact: {per_app * 1000:.1f} ms "
          f"per application (measured on {len(sample)}), extrapolated to {len(rows):,}: "
          f"{baseline:,.0f} s")  # fmt: skip
    print(f"ratio baseline / job: {baseline / elapsed:.1f}×   goal ≤ {GOAL_SECONDS:.0f} s: "
          f"{'met' if elapsed <= GOAL_SECONDS else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
