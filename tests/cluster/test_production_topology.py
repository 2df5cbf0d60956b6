"""The production topology proven as an operator and an attacker would try it: both gateways,
two replicas of every service, a 3-node NATS cluster with identities, permissions and TLS,
PostgreSQL with a role per service.

- same-key requests sent to both gateways at once never have a second effect;
- SIGKILL of the NATS stream leader and of a replica of every service under writes: every
  acknowledged write is in every copy, nothing is applied twice;
- an event forged with another service's credentials is refused by NATS, the copies unchanged;
- a signing key slipped into the bucket, or an unknown one, verifies nothing, at the gateways
  and at every service port;
- a process started with other stream settings leaves the streams as they were.

The chaos counts go to `cluster-counts.json` in the cluster's var directory."""

import asyncio
import json
import os
import signal
import threading
import time
from typing import Any

import httpx
import psycopg
import pytest
from junheng_devtools.cluster import Cluster
from junheng_devtools.system import ALL_SCOPES, ServiceProcess
from nats.js.api import StreamConfig

from junheng_contracts.enrollment import SchoolData, SchoolUpdated
from junheng_kit import natsauth
from junheng_kit.messaging.connection import connect
from junheng_kit.processes import free_port
from junheng_kit.signing import Signer
from junheng_kit.tokens import TokenSigner
from junheng_kit.trust import certify, with_certificates

from .support import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]
COPIES = ("staffing", "assistance", "evaluation")


def school(code: str, name: str | None = None) -> dict[str, Any]:
    return {
        "school_code": code,
        "name": name or f"集群测试学校{code[-4:]}",
        "levels": ["primary"],
        "county_code": "150602",
        "location": {"longitude": 109.99, "latitude": 39.82},
        "planned_capacity": 900,
    }


def instance(seed: str) -> dict[str, Any]:
    return {
        "seed": seed,
        "mechanism": "deferred_acceptance",
        "tie_breaking": "single",
        "schools": [{"school_code": "2115060001", "capacity": 1}],
        "applicants": [
            {
                "application_id": f"A{n}",
                "preferences": ["2115060001"],
                "priorities": {"2115060001": 1},
            }
            for n in range(3)
        ],
    }


def sql(cluster: Cluster, database: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    assert cluster.postgres is not None
    url = f"postgresql://postgres@127.0.0.1:{cluster.postgres.port}/{database}"
    with psycopg.connect(url) as connection:
        return list(connection.execute(query, args).fetchall())


def copies_of(cluster: Cluster, codes: list[str]) -> dict[str, int]:
    return {
        copy: sql(cluster, copy, "SELECT count(*) FROM school WHERE school_code = ANY(%s)", codes)[
            0
        ][0]
        for copy in COPIES
    }


def record_counts(cluster: Cluster, **counts: Any) -> None:
    path = cluster.var / "cluster-counts.json"
    found = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**found, **counts}, indent=2, ensure_ascii=False))


class TestIdempotencyAcrossGateways:
    def test_fifty_same_key_pairs_sent_to_both_gateways_have_one_effect_each(
        self, cluster: Cluster, token: str
    ) -> None:
        first, second = (
            httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"})
            for url in cluster.gateway_urls
        )
        sent: list[tuple[str, str, dict[str, Any]]] = []
        for n in range(25):
            code = f"21150655{n:02d}"
            sent.append((f"pair-school-{code}", "/enrollment/v1/schools", school(code)))
            seed = f"cluster-pair-{n}"
            sent.append((f"pair-run-{n}", "/enrollment/v1/assignment-runs", instance(seed)))
        answers: list[tuple[int, int]] = []
        for key, path, body in sent:
            outcome: list[httpx.Response] = []

            def post(
                client: httpx.Client,
                path: str = path,
                body: dict[str, Any] = body,
                key: str = key,
                outcome: list[httpx.Response] = outcome,
            ) -> None:
                outcome.append(client.post(path, json=body, headers={"Idempotency-Key": key}))

            threads = [threading.Thread(target=post, args=(c,)) for c in (first, second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            statuses = sorted(r.status_code for r in outcome)
            if statuses == [201, 201]:  # the second came after the first's answer: a replay
                replayed = [r.headers.get("idempotent-replayed") for r in outcome]
                assert replayed.count("true") == 1
            for response in outcome:
                assert response.status_code in (201, 409), response.text
                if response.status_code == 409:
                    problem = response.json()
                    assert problem["errors"][0]["rule"] == "idempotency_in_progress"
                    assert response.headers["retry-after"]
            answers.append((statuses[0], statuses[1]))
        for key, path, body in sent:  # once the first is done, either gateway replays it
            for client in (first, second):
                again = client.post(path, json=body, headers={"Idempotency-Key": key})
                assert again.status_code == 201, again.text
                assert again.headers["idempotent-replayed"] == "true"
        codes = [body["school_code"] for _, path, body in sent if path.endswith("schools")]
        seeds = [body["seed"] for _, path, body in sent if path.endswith("runs")]
        schools = sql(
            cluster, "enrollment", "SELECT count(*) FROM school WHERE school_code = ANY(%s)", codes
        )[0][0]
        runs = sql(
            cluster,
            "enrollment",
            "SELECT seed, count(*) FROM assignment_run WHERE seed = ANY(%s) GROUP BY seed",
            seeds,
        )
        assert schools == 25
        assert sorted(runs) == sorted((seed, 1) for seed in seeds)  # never a second run
        both_created = sum(1 for a in answers if a == (201, 201))
        record_counts(
            cluster,
            same_key_pairs=len(sent),
            pairs_201_and_409_in_progress=sum(1 for a in answers if a == (201, 409)),
            pairs_both_201_one_replayed=both_created,
            second_effects=0,
        )
        first.close()
        second.close()


class TestChaos:
    def test_sigkill_of_the_stream_leader_and_a_replica_of_each_service_loses_nothing(
        self, cluster: Cluster, token: str
    ) -> None:
        codes = [f"21150656{n:02d}" for n in range(60)]
        accepted: dict[str, int] = {}
        attempts = {"answers_5xx": 0, "in_progress": 0}

        def write(client: httpx.Client, code: str) -> None:
            for _ in range(200):  # the client retries with its key until it has an answer
                try:
                    response = client.post(
                        "/enrollment/v1/schools",
                        json=school(code),
                        headers={"Idempotency-Key": f"chaos-{code}"},
                    )
                except httpx.HTTPError:
                    attempts["answers_5xx"] += 1
                    time.sleep(0.2)
                    continue
                if response.status_code == 201:
                    accepted[code] = accepted.get(code, 0) + 1
                    return
                if response.status_code == 409:
                    attempts["in_progress"] += 1
                else:
                    assert response.status_code >= 500, response.text
                    attempts["answers_5xx"] += 1
                time.sleep(0.2)
            raise AssertionError(f"{code} never accepted")

        def writer(url: str, mine: list[str]) -> None:
            with httpx.Client(
                base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}
            ) as client:
                for code in mine:
                    write(client, code)
                    time.sleep(0.05)

        writers = [
            threading.Thread(target=writer, args=(url, codes[n::2]))
            for n, url in enumerate(cluster.gateway_urls)
        ]
        for thread in writers:
            thread.start()
        wait_until(lambda: len(accepted) >= 10)
        leader = cluster.stream_leader("ENROLLMENT")
        leader.kill()  # SIGKILL of the node leading enrollment's stream, mid-writes
        killed = [leader.name]
        for service in ("enrollment", "staffing", "assistance", "evaluation"):
            cluster.processes[f"{service}-2"].stop(signal.SIGKILL)
            killed.append(f"{service}-2")
            time.sleep(1)
        time.sleep(3)
        leader.start()
        for service in ("enrollment", "staffing", "assistance", "evaluation"):
            cluster.processes[f"{service}-2"].start()
        for thread in writers:
            thread.join()
        for service in ("enrollment", "staffing", "assistance", "evaluation"):
            cluster.processes[f"{service}-2"].wait_ready(300)
        assert sorted(accepted) == codes
        assert all(count == 1 for count in accepted.values())
        wait_until(lambda: copies_of(cluster, codes) == dict.fromkeys(COPIES, len(codes)), 180)
        for copy in COPIES:  # applied once: one inbox row per event, every copy at version 1
            versions = sql(
                cluster,
                copy,
                "SELECT version, count(*) FROM school WHERE school_code = ANY(%s) GROUP BY 1",
                codes,
            )
            assert versions == [(1, len(codes))]
            twice = sql(
                cluster,
                copy,
                "SELECT event_id FROM processed_message GROUP BY consumer, event_id "
                "HAVING count(*) > 1",
            )
            assert twice == []
        published = asyncio.run(registered_events(cluster, codes))
        assert published == dict.fromkeys(codes, 1)  # the relay published each once
        record_counts(
            cluster,
            chaos_writes=len(codes),
            chaos_killed=killed,
            chaos_acknowledged=len(accepted),
            chaos_retries_after_5xx=attempts["answers_5xx"],
            chaos_retries_in_progress=attempts["in_progress"],
            chaos_lost=0,
            chaos_applied_twice=0,
        )


async def registered_events(cluster: Cluster, codes: list[str]) -> dict[str, int]:
    """How many `enrollment.school.registered` events the stream holds per school code."""
    nc = await connect(cluster.nats_urls, "test-operator", **cluster.nats_options())
    try:
        js = nc.jetstream()
        info = await js.stream_info("ENROLLMENT")
        found: dict[str, int] = {}
        for sequence in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
            try:
                message = await js.get_msg("ENROLLMENT", sequence)
            except Exception:  # noqa: BLE001, S112 - a gap (deleted message)
                continue
            if message.subject != "enrollment.school.registered" or not message.data:
                continue
            code = json.loads(message.data)["data"]["school_code"]
            if code in codes:
                found[code] = found.get(code, 0) + 1
        return found
    finally:
        await nc.close()


class TestForgery:
    def test_an_event_forged_with_another_services_identity_is_refused_and_changes_nothing(
        self, cluster: Cluster, token: str
    ) -> None:
        with httpx.Client(
            base_url=cluster.gateway_urls[0],
            timeout=60,
            headers={"Authorization": f"Bearer {token}"},
        ) as bureau:
            assert (
                bureau.post("/enrollment/v1/schools", json=school("2115065701")).status_code == 201
            )
            wait_until(lambda: copies_of(cluster, ["2115065701"]) == dict.fromkeys(COPIES, 1))
            refused = asyncio.run(forge(cluster, "2115065701"))
            assert refused  # NATS said so to the forger
            # a genuine change after the forgery: once it is in every copy, the forged one —
            # had it been stored — would have been applied before it
            assert (
                bureau.post("/enrollment/v1/schools", json=school("2115065702")).status_code == 201
            )
            wait_until(lambda: copies_of(cluster, ["2115065702"]) == dict.fromkeys(COPIES, 1))
            for copy in COPIES:
                name, version = sql(
                    cluster,
                    copy,
                    "SELECT name, version FROM school WHERE school_code = %s",
                    "2115065701",
                )[0]
                assert (name, version) == ("集群测试学校5701", 1)
                assert copies_of(cluster, ["2115069999"])[copy] == 0  # the forged registration

    def test_a_signing_key_slipped_into_the_bucket_or_unknown_is_refused_everywhere(
        self, cluster: Cluster, token: str
    ) -> None:
        forger = TokenSigner.generate(issuer="junheng-gateway", audience="junheng")
        rogue_root = Signer.generate()
        asyncio.run(slip_key(cluster, forger, rogue_root))
        forged = forger.issue(subject="intruder", scopes=ALL_SCOPES, jurisdiction=["15"])
        unknown = TokenSigner.generate(issuer="junheng-gateway", audience="junheng").issue(
            subject="intruder", scopes=ALL_SCOPES, jurisdiction=["15"]
        )
        urls = [f"{url}/enrollment/v1/schools" for url in cluster.gateway_urls]
        for name, process in cluster.processes.items():
            if not name.startswith(("gateway", "agency")):
                urls.append(f"http://127.0.0.1:{process.port}/v1/schools")
        for url in urls:
            for bearer in (forged, unknown):
                response = httpx.get(url, headers={"Authorization": f"Bearer {bearer}"}, timeout=30)
                assert response.status_code == 401, (url, response.text)
                assert response.headers["content-type"] == "application/problem+json"
        # the genuine keys still verify the bureau's token everywhere
        for url in urls:
            ok = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert ok.status_code == 200, (url, ok.text)


async def forge(cluster: Cluster, code: str) -> bool:
    """Staffing's identity publishes a `school.updated` of enrollment's with a high version, and
    a registration: NATS refuses both."""
    errors: list[str] = []

    async def seen(error: Exception) -> None:
        errors.append(str(error).lower())

    nc = await connect(
        cluster.nats_urls, "staffing", error_cb=seen, **cluster.nats_options("staffing")
    )
    event = SchoolUpdated.of(
        subject=code,
        jurisdiction="150602",
        data=SchoolData(
            school_code=code,
            name="伪造的学校",
            levels=["primary"],
            county_code="150602",
            longitude=110.0,
            latitude=39.8,
            planned_capacity=1,
            version=999,
        ),
    )
    await nc.publish("enrollment.school.updated", event.model_dump_json().encode())
    await nc.publish("enrollment.school.registered", b'{"data": {"school_code": "2115069999"}}')
    await nc.flush()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(errors) < 2:
        await asyncio.sleep(0.05)
    await nc.close()
    return sum("permissions violation" in e and "enrollment.school" in e for e in errors) == 2


async def slip_key(cluster: Cluster, forger: TokenSigner, rogue_root: Signer) -> None:
    """What a writer of the key bucket could do (only the gateway and the operator may): add
    a key of its own, uncertified and certified by a root nobody pinned, next to the real ones."""
    nc = await connect(cluster.nats_urls, "test-operator", **cluster.nats_options())
    try:
        store = await nc.jetstream().key_value(natsauth.KEYS_BUCKET)
        genuine = json.loads((await store.get("jwks")).value)
        rogue = with_certificates(forger.jwks(), [certify(rogue_root, forger.public_jwk, days=1)])
        slipped = {"keys": [*genuine["keys"], forger.public_jwk, *rogue["keys"]]}
        await store.put("jwks", json.dumps(slipped).encode())
    finally:
        await nc.close()


class TestStreamSettings:
    def test_a_process_asking_for_fewer_stream_replicas_leaves_them_and_is_not_ready(
        self, cluster: Cluster
    ) -> None:
        env = {**cluster.processes["enrollment"].env, "JUNHENG_STREAM_REPLICAS": "1"}
        port = free_port()
        env["ENROLLMENT_HTTP_PORT"] = str(port)
        stray = ServiceProcess(
            "enrollment-stray",
            port,
            env,
            cluster.var / "logs" / "enrollment-stray.log",
            command=[*cluster.processes["enrollment"].command],  # type: ignore[list-item]
        )
        stray.start()
        try:

            def answer() -> Any:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                except httpx.HTTPError:
                    return None
                jetstream = response.json()["checks"].get("jetstream")
                return (
                    response
                    if isinstance(jetstream, dict) and jetstream["state"] != "pending"
                    else None
                )

            response = wait_until(answer, 120)
            assert response.status_code == 503
            problems = response.json()["checks"]["jetstream"]["problems"]
            assert any("ENROLLMENT has 3 replicas" in p for p in problems)
        finally:
            stray.stop()
        configs = asyncio.run(stream_configs(cluster))
        assert configs["ENROLLMENT"].num_replicas == 3
        assert configs["DLQ"].num_replicas == 3


async def stream_configs(cluster: Cluster) -> dict[str, StreamConfig]:
    nc = await connect(cluster.nats_urls, "test-operator", **cluster.nats_options())
    try:
        js = nc.jetstream()
        return {name: (await js.stream_info(name)).config for name in ("ENROLLMENT", "DLQ")}
    finally:
        await nc.close()


def test_the_operator_identity_stays_with_the_operator(cluster: Cluster) -> None:
    """No process of the deployment was given another role's seed."""
    for name, process in cluster.processes.items():
        seed = process.env.get("JUNHENG_NATS_NKEY_SEED_FILE")
        if name.startswith("agency"):
            assert seed is None
            continue
        role = name.split("-")[0]
        assert seed == str(natsauth.seed_file(cluster.nats_auth_dir, role)), name
        assert os.stat(seed).st_mode & 0o777 == 0o600
