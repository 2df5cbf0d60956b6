"""Rate limits shared by two gateway replicas on one nats-server (issue 17 part 4): a client that
spreads its requests over both gets the deployment-wide rate, within the documented overshoot
(replicas × rate × sync interval, at least one request per replica)."""

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from nats.js.errors import KeyNotFoundError

from gateway.limits.rules import Policy
from gateway.limits.shared import BUCKET_STREAM, RATE_LIMITS_BUCKET, SharedLimiter, bucket_key
from junheng_kit.messaging.connection import connect
from junheng_kit.problems import PROBLEM_JSON
from junheng_kit.testing.plugin import auth, eventually

from .conftest import SettingsFactory, running

REPLICAS = 2
RATELIMIT = re.compile(r'^"api";r=(\d+);t=(\d+)$')


@asynccontextmanager
async def replicas(
    upstreams: None, make_settings: SettingsFactory, **limits: Any
) -> AsyncIterator[list[tuple[FastAPI, httpx.AsyncClient]]]:
    """Two gateways with the same settings on the same nats-server, as in production."""
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(running(make_settings(**limits)))
            for _ in range(REPLICAS)
        ]


def token_for(app: FastAPI, subject: str) -> str:
    token: str = app.state.signer.issue(
        subject=subject, scopes=["enrollment:read"], jurisdiction=["150602"]
    )
    return token


def remaining(response: httpx.Response) -> int:
    match = RATELIMIT.match(response.headers["ratelimit"])
    assert match is not None, response.headers["ratelimit"]
    return int(match.group(1))


class TestAcrossReplicas:
    async def test_a_client_spread_over_both_replicas_gets_the_deployment_wide_rate(
        self, upstreams: None, make_settings: SettingsFactory
    ) -> None:
        rate, burst, sync = 20.0, 10, 0.1
        share = int(rate * sync)  # 2 requests per replica between reconciliations
        async with replicas(
            upstreams,
            make_settings,
            rate_limit_per_second=rate,
            rate_limit_burst=burst,
            rate_limit_sync_seconds=sync,
        ) as gateways:
            headers = auth(token_for(gateways[0][0], f"spread-{uuid.uuid4()}"))
            statuses: list[tuple[int, int]] = []  # (replica, status)

            async def client(worker: int, until: float) -> None:
                turn = worker
                while time.monotonic() < until:
                    replica = turn % REPLICAS
                    response = await gateways[replica][1].get(
                        "/enrollment/v1/items/1", headers=headers
                    )
                    statuses.append((replica, response.status_code))
                    turn += 1

            started = time.monotonic()
            await asyncio.gather(*(client(w, started + 2.0) for w in range(4)))
            elapsed = time.monotonic() - started
        admitted = [replica for replica, status in statuses if status == 200]
        assert {status for _, status in statuses} == {200, 429}
        exact = burst + rate * elapsed  # what one limiter would allow over the whole run
        overshoot = REPLICAS * share
        assert len(statuses) > 3 * (exact + overshoot)  # the client pushed well past the rate
        assert len(admitted) <= exact + overshoot
        # per replica, as before, the two would have allowed 2 × exact
        assert len(admitted) >= burst + 0.5 * rate * elapsed
        assert {0, 1} <= set(admitted)  # both replicas served it

    async def test_remaining_decreases_across_replicas_then_both_answer_429(
        self, upstreams: None, make_settings: SettingsFactory
    ) -> None:
        """At 0.01 requests/s nothing refills during the test: the 10 of the burst are all
        there is. A replica's view misses at most the other's one unreconciled request."""
        async with replicas(
            upstreams,
            make_settings,
            rate_limit_per_second=0.01,
            rate_limit_burst=10,
            rate_limit_sync_seconds=0.05,
        ) as gateways:
            headers = auth(token_for(gateways[0][0], f"decreasing-{uuid.uuid4()}"))
            responses = [
                await gateways[i % REPLICAS][1].get("/enrollment/v1/items/1", headers=headers)
                for i in range(14)
            ]

            async def both_refuse() -> list[httpx.Response]:
                answers = [
                    await http.get("/enrollment/v1/items/1", headers=headers)
                    for _, http in gateways
                ]
                return answers if all(r.status_code == 429 for r in answers) else []

            refusals = await eventually(both_refuse)
        statuses = [r.status_code for r in responses]
        assert statuses[:10] == [200] * 10
        admitted = statuses.count(200)
        assert 10 <= admitted <= 10 + REPLICAS  # one limiter: exactly 10; per replica: 14
        assert statuses[admitted:] == [429] * (14 - admitted)
        for number, response in enumerate(responses[:10], start=1):
            assert response.headers["ratelimit-policy"] == '"api";q=10;w=1000'
            assert 10 - number <= remaining(response) <= 10 - number + 1
        for refusal in refusals:
            assert refusal.headers["content-type"] == PROBLEM_JSON
            body = refusal.json()
            assert (body["status"], body["errors"][0]["rule"]) == (429, "rate_limit")
            assert refusal.headers["ratelimit"] == f'"api";r=0;t={refusal.headers["retry-after"]}'
            assert int(refusal.headers["retry-after"]) >= 1

    async def test_the_bucket_holds_one_value_per_client_for_a_short_time(
        self, upstreams: None, make_settings: SettingsFactory, nats_url: str
    ) -> None:
        subject = f"stored-{uuid.uuid4()}"
        async with replicas(upstreams, make_settings, rate_limit_sync_seconds=0.05) as gateways:
            app, http = gateways[0]
            before = time.time()
            response = await http.get(
                "/enrollment/v1/items/1", headers=auth(token_for(app, subject))
            )
            policy = app.state.api_rate_limit
            nc = await connect(nats_url, "test-ratelimits")
            try:
                js = nc.jetstream()
                store = await js.key_value(RATE_LIMITS_BUCKET)

                async def stored() -> float | None:
                    try:
                        entry = await store.get(bucket_key(policy, subject))
                    except KeyNotFoundError:  # not reconciled yet
                        return None
                    return float(entry.value or b"")

                value = await eventually(stored)
                config = (await js.stream_info(BUCKET_STREAM)).config
            finally:
                await nc.close()
        assert response.status_code == 200
        # one request of 200/s: the value is one interval (5 ms) after the request
        assert before + policy.interval <= value <= time.time() + policy.interval
        assert config.max_msgs_per_subject == 1
        assert config.max_age is not None
        assert 60 <= config.max_age <= 3600

    async def test_an_entry_deleted_by_hand_is_written_again(
        self, upstreams: None, make_settings: SettingsFactory, nats_url: str
    ) -> None:
        subject = f"deleted-{uuid.uuid4()}"
        async with replicas(upstreams, make_settings, rate_limit_sync_seconds=0.05) as gateways:
            app, http = gateways[0]
            headers = auth(token_for(app, subject))
            key = bucket_key(app.state.api_rate_limit, subject)
            nc = await connect(nats_url, "test-ratelimits")
            try:
                store = await nc.jetstream().key_value(RATE_LIMITS_BUCKET)

                async def written() -> int:
                    try:
                        return (await store.get(key)).revision or 0
                    except KeyNotFoundError:
                        return 0

                await http.get("/enrollment/v1/items/1", headers=headers)
                first = await eventually(written)
                await store.delete(key)  # an operator's `nats kv del`: a deletion marker
                await http.get("/enrollment/v1/items/1", headers=headers)
                second = await eventually(written)
            finally:
                await nc.close()
            shared = app.state.rate_limiter.is_shared
        assert second > first
        assert shared


class TestGivenBack:
    async def test_a_request_given_back_on_one_replica_does_not_stay_refused_on_another(
        self, nats_url: str
    ) -> None:
        """One failure a minute per client; both replicas reserve and give back (the right
        secret) and reconcile in the order that leaves the second one's view holding the
        first one's reservation: the next request there is still admitted."""
        policy = Policy("token-failures", rate_per_second=1 / 60, burst=1)
        subject = f"given-back-{uuid.uuid4()}"
        async with AsyncExitStack() as stack:
            limiters = []
            for name in ("a", "b"):
                nc = await connect(nats_url, f"test-limiter-{name}")
                stack.push_async_callback(nc.close)
                limiter = SharedLimiter([policy], sync_seconds=3600)  # rounds by hand only
                await limiter.start(nc, replicas=1)
                stack.push_async_callback(limiter.stop)
                limiters.append(limiter)
            a, b = limiters
            assert (await a.acquire(policy, subject)).allowed
            assert await a.reconcile()  # the bucket holds a's reservation
            assert (await b.acquire(policy, subject)).allowed  # b's view: nothing known yet
            assert await b.reconcile()  # b reads a's value and adds its own: b's view holds both
            b.release(policy, subject)
            assert await b.reconcile()
            a.release(policy, subject)
            assert await a.reconcile()  # the bucket is back to empty; b's view still holds a's
            decision = await b.acquire(policy, subject)
        assert decision.allowed
