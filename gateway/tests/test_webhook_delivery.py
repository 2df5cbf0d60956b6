"""Webhooks end to end on real parts: events published on the real nats-server as the services
publish them, the gateway's fan-out and delivery workers on SQLite and PostgreSQL, a real HTTP
receiver (uvicorn) that checks nothing for us — the tests verify the signature by hand."""

import asyncio
import base64
import hashlib
import hmac
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from gateway.auth.models import Client
from gateway.webhooks.fanout import SUBSCRIBERS_FRESH_SECONDS
from gateway.webhooks.models import WebhookSubscription
from junheng_contracts.enrollment import AdmissionConfirmed, AdmissionConfirmedData
from junheng_kit.natsauth import WEBHOOK_DURABLE
from junheng_kit.testing.plugin import eventually
from junheng_kit.timeutil import utcnow

from .conftest import Receiver, register_client

ADMISSIONS = "enrollment.admission.confirmed"
# short schedules, loopback allowed (the receiver listens there)
FAST: dict[str, Any] = {
    "webhook_allowed_networks": ["127.0.0.0/8"],
    "webhook_retry_base_seconds": 0.3,
    "webhook_retry_max_seconds": 1.0,
    "webhook_timeout_seconds": 1.0,
    "webhook_lease_seconds": 5.0,
    "webhook_poll_seconds": 0.05,
}
Receivers = Callable[[], Awaitable[Receiver]]


def admission(county: str = "150602") -> AdmissionConfirmed:
    """录取确认 as enrollment publishes it (pseudonymous keys only)."""
    application = str(uuid4())
    return AdmissionConfirmed.of(
        subject=application,
        jurisdiction=county,
        data=AdmissionConfirmedData(
            application_id=application,
            county_code=county,
            year=2026,
            school_code=f"{county[:4]}060001",
            level="primary",
            grade=1,
            student_key="k-" + application[:8],
            route="assignment",
        ),
    )


async def publish(js: Any, event: AdmissionConfirmed, *, msg_id: bool = True) -> bytes:
    payload = event.model_dump_json().encode()
    headers = {"Nats-Msg-Id": event.id} if msg_id else None
    await js.publish(event.type, payload, headers=headers)
    return payload


async def bound(app: FastAPI) -> None:
    """The fan-out holds its durable on every stream (events from now on are read)."""

    async def ready() -> bool:
        fanout = app.state.webhook_fanout
        return fanout is not None and not fanout.waiting

    await eventually(ready, timeout=15)


def auth(app: FastAPI, client_id: str, jurisdiction: str = "150602") -> dict[str, str]:
    token = app.state.signer.issue(
        subject=client_id, scopes=["enrollment:read"], jurisdiction=[jurisdiction]
    )
    return {"Authorization": f"Bearer {token}"}


async def subscribe(
    http: httpx.AsyncClient, headers: dict[str, str], url: str, *types: str
) -> dict[str, Any]:
    response = await http.post(
        "/v1/webhooks",
        json={"url": url, "event_types": list(types or [ADMISSIONS])},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def log_of(
    http: httpx.AsyncClient, headers: dict[str, str], webhook_id: str, event_id: str
) -> dict[str, Any] | None:
    """The delivery log's entry of one event (None until the fan-out recorded it)."""
    page = (await http.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=headers)).json()
    return next((d for d in page["items"] if d["event_id"] == event_id), None)


async def dongsheng_reader(database_url: str) -> str:
    """A client of 东胜区's bureau reading enrollment: the subscriber of most tests."""
    return await register_client(database_url, jurisdiction=["150602"], scopes=["enrollment:read"])


@asynccontextmanager
async def subscribed(
    start_gateway: Any, database_url: str, url: str, **settings: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, dict[str, str], dict[str, Any]]]:
    """A gateway (FAST unless `settings` say otherwise) whose fan-out is bound, and 东胜区's
    reader subscribed to admissions at `url`: the app, its client, the reader's headers and
    the subscription."""
    client = await dongsheng_reader(database_url)
    async with start_gateway(database_url=database_url, **(settings or FAST)) as (app, http):
        await bound(app)
        headers = auth(app, client)
        yield app, http, headers, await subscribe(http, headers, url)


def expected_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks by hand: HMAC-SHA256 with the base64-decoded secret after `whsec_`
    over `{id}.{timestamp}.{body}`, base64, after `v1,`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(digest.digest()).decode()


class TestSignedDelivery:
    async def test_the_event_arrives_signed_and_another_countys_subscriber_gets_nothing(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        dongsheng = await register_client(
            fresh_database_url, jurisdiction=["150602"], scopes=["enrollment:read"]
        )
        ejin_horo = await register_client(
            fresh_database_url, jurisdiction=["150627"], scopes=["enrollment:read"]
        )
        ours, theirs = await receivers(), await receivers()
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, http):
            await bound(app)
            mine = auth(app, dongsheng)
            subscription = await subscribe(http, mine, ours.url)
            await subscribe(http, auth(app, ejin_horo, "150627"), theirs.url)
            event = admission("150602")
            payload = await publish(js, event)
            await eventually(lambda: _arrived(ours, event.id))
            elsewhere = admission("150627")
            await publish(js, elsewhere)
            await eventually(lambda: _arrived(theirs, elsewhere.id))
            entry = await log_of(http, mine, subscription["id"], event.id)

        [received] = ours.of(event.id)
        assert theirs.of(event.id) == []  # the other county's subscriber never saw it
        assert ours.of(elsewhere.id) == []
        assert received.body == payload  # the CloudEvent as enrollment published it
        headers = received.headers
        assert headers["content-type"] == "application/cloudevents+json"
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 30
        assert headers["webhook-signature"] == expected_signature(
            subscription["secret"], headers["webhook-id"], headers["webhook-timestamp"], payload
        )
        assert entry is not None
        assert headers["webhook-id"] == entry["id"]
        assert (entry["status"], entry["attempts"], entry["event_type"]) == (
            "delivered",
            1,
            ADMISSIONS,
        )
        assert [a["status_code"] for a in entry["attempt_log"]] == [200]


class TestSecretRotation:
    async def test_both_secrets_sign_during_the_overlap_then_only_the_new_one(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        client = await dongsheng_reader(fresh_database_url)
        receiver = await receivers()
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, http):
            await bound(app)
            mine = auth(app, client)
            subscription = await subscribe(http, mine, receiver.url)
            rotated = await http.post(f"/v1/webhooks/{subscription['id']}/secret", headers=mine)
            assert rotated.status_code == 200, rotated.text
            new = rotated.json()
            assert new["secret"].startswith("whsec_")
            assert new["secret"] != subscription["secret"]
            during = admission()
            during_payload = await publish(js, during)
            await eventually(lambda: _arrived(receiver, during.id))
            # the overlap ends (as if 24 h passed): the previous secret no longer signs
            await _end_overlap(app, subscription["id"])
            after = admission()
            after_payload = await publish(js, after)
            await eventually(lambda: _arrived(receiver, after.id))
            other = await register_client(
                fresh_database_url, jurisdiction=["150602"], scopes=["enrollment:read"]
            )
            foreign = await http.post(
                f"/v1/webhooks/{subscription['id']}/secret", headers=auth(app, other)
            )

        [first] = receiver.of(during.id)
        h = first.headers
        assert h["webhook-signature"].split(" ") == [  # the new secret's first
            expected_signature(secret, h["webhook-id"], h["webhook-timestamp"], during_payload)
            for secret in (new["secret"], subscription["secret"])
        ]
        [second] = receiver.of(after.id)
        h = second.headers
        assert h["webhook-signature"] == expected_signature(
            new["secret"], h["webhook-id"], h["webhook-timestamp"], after_payload
        )
        assert foreign.status_code == 404  # another client's subscription is not there


async def _end_overlap(app: FastAPI, subscription_id: str) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == UUID(subscription_id))
            .values(previous_secret_until=utcnow())
        )


async def _arrived(receiver: Receiver, event_id: str, count: int = 1) -> bool:
    return len(receiver.of(event_id)) >= count


class TestRetries:
    async def test_a_stopped_receiver_is_retried_with_backoff_and_gets_the_event_once_back(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        receiver = await receivers()
        async with subscribed(start_gateway, fresh_database_url, receiver.url) as (
            _app,
            http,
            headers,
            subscription,
        ):
            await receiver.stop()  # killed: its port refuses connections
            event = admission()
            await publish(js, event)

            async def failed_three_times() -> dict[str, Any] | None:
                entry = await log_of(http, headers, subscription["id"], event.id)
                return entry if entry and entry["attempts"] >= 3 else None

            failing = await eventually(failed_three_times, timeout=20)
            await receiver.start()  # back on the same port
            await eventually(lambda: _arrived(receiver, event.id), timeout=20)
            await asyncio.sleep(0.5)  # nothing more comes
            delivered = await log_of(http, headers, subscription["id"], event.id)

        assert failing["status"] == "pending"
        assert failing["next_attempt_at"] is not None
        assert all(a["status_code"] is None for a in failing["attempt_log"])
        assert "ConnectError" in failing["last_error"]
        starts = [_seconds(a["started_at"]) for a in failing["attempt_log"]]
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert all(gap >= 0.3 * 0.8 - 0.05 for gap in gaps), gaps  # the base, less jitter
        assert len(receiver.of(event.id)) == 1
        assert delivered is not None
        assert delivered["status"] == "delivered"
        assert delivered["attempts"] == len(delivered["attempt_log"]) >= 4
        assert delivered["attempt_log"][-1]["status_code"] == 200
        assert receiver.of(event.id)[0].headers["webhook-id"] == delivered["id"]

    async def test_a_receiver_that_never_answers_times_out_and_nothing_waits_for_it(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        receiver = await receivers()
        receiver.delay = 30.0  # answers long after the gateway's 1 s
        async with subscribed(start_gateway, fresh_database_url, receiver.url) as (
            _app,
            http,
            headers,
            subscription,
        ):
            event = admission()
            await publish(js, event)
            await eventually(lambda: _arrived(receiver, event.id))
            # meanwhile the gateway forwards to the services as ever
            started = time.monotonic()
            forwarded = await http.get("/enrollment/v1/items/7", headers=headers)
            forwarding_s = time.monotonic() - started

            async def timed_out() -> dict[str, Any] | None:
                entry = await log_of(http, headers, subscription["id"], event.id)
                return entry if entry and entry["attempts"] >= 1 else None

            entry = await eventually(timed_out, timeout=10)
            receiver.delay = 0.0
            await eventually(
                lambda: _delivered(http, headers, subscription["id"], event.id), timeout=20
            )

        assert forwarded.status_code == 200
        assert forwarding_s < 1.0
        assert entry["attempt_log"][0]["error"] == "timed out after 1 s"
        assert entry["attempt_log"][0]["duration_ms"] < 2000
        ids = {r.headers["webhook-id"] for r in receiver.of(event.id)}
        assert ids == {entry["id"]}  # every attempt carries the same webhook-id


async def _delivered(
    http: httpx.AsyncClient, headers: dict[str, str], webhook_id: str, event_id: str
) -> bool:
    entry = await log_of(http, headers, webhook_id, event_id)
    return entry is not None and entry["status"] == "delivered"


def _seconds(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()


class TestReplicas:
    async def test_two_gateway_replicas_deliver_each_event_once(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        client = await dongsheng_reader(fresh_database_url)
        receiver = await receivers()
        events = [admission() for _ in range(30)]
        async with (
            start_gateway(database_url=fresh_database_url, **FAST) as (first, http),
            start_gateway(database_url=fresh_database_url, **FAST) as (second, _),
        ):
            await bound(first)
            await bound(second)
            await subscribe(http, auth(first, client), receiver.url)
            # the other replica sees a subscription made here within its list's freshness
            await asyncio.sleep(SUBSCRIBERS_FRESH_SECONDS)
            for event in events:
                await publish(js, event)

            async def all_arrived() -> bool:
                return all(receiver.of(e.id) for e in events)

            await eventually(all_arrived, timeout=30)
            await asyncio.sleep(1.0)  # a second copy would come now
        assert [len(receiver.of(e.id)) for e in events] == [1] * len(events)

    async def test_a_burst_nobody_receives_is_acked_and_the_wanted_events_still_arrive(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        """Fetches of many events (a province's import): those no subscription wants — here
        another county's — are acked without a delivery, and the subscriber's, among them,
        each arrive once; the durable has nothing left."""
        receiver = await receivers()
        wanted = [admission() for _ in range(5)]
        others = [admission("220822") for _ in range(200)]
        async with subscribed(start_gateway, fresh_database_url, receiver.url) as (
            _app,
            http,
            headers,
            subscription,
        ):
            for n, event in enumerate(others):
                await publish(js, event)
                if n % 40 == 0:
                    await publish(js, wanted[n // 40])

            async def all_arrived() -> bool:
                return all(receiver.of(e.id) for e in wanted)

            async def drained() -> bool:
                info = await js.consumer_info("ENROLLMENT", WEBHOOK_DURABLE)
                return info.num_pending == 0 and info.num_ack_pending == 0

            await eventually(all_arrived, timeout=30)
            await eventually(drained, timeout=30)
            page = await http.get(f"/v1/webhooks/{subscription['id']}/deliveries", headers=headers)
        assert sorted(d["event_id"] for d in page.json()["items"]) == sorted(e.id for e in wanted)
        assert [len(receiver.of(e.id)) for e in wanted] == [1] * len(wanted)

    async def test_an_event_read_twice_from_the_stream_is_recorded_once(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        """The same event in the stream twice (as after a replica died before its ack):
        the delivery is unique per subscription and event id."""
        receiver = await receivers()
        async with subscribed(start_gateway, fresh_database_url, receiver.url) as (
            _app,
            http,
            headers,
            subscription,
        ):
            event = admission()
            await publish(js, event, msg_id=False)
            await publish(js, event, msg_id=False)
            later = admission()
            await publish(js, later)  # read after both copies
            await eventually(lambda: _arrived(receiver, later.id))
            await asyncio.sleep(0.3)
            page = await http.get(f"/v1/webhooks/{subscription['id']}/deliveries", headers=headers)
        assert len(receiver.of(event.id)) == 1
        assert [d["event_id"] for d in page.json()["items"]].count(event.id) == 1


class TestRedelivery:
    async def test_a_delivery_is_sent_again_on_request_with_the_same_webhook_id(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        receiver = await receivers()
        async with subscribed(start_gateway, fresh_database_url, receiver.url) as (
            _app,
            http,
            headers,
            subscription,
        ):
            event = admission()
            await publish(js, event)
            await eventually(lambda: _delivered(http, headers, subscription["id"], event.id))
            entry = await log_of(http, headers, subscription["id"], event.id)
            assert entry is not None
            path = f"/v1/webhooks/{subscription['id']}/deliveries/{entry['id']}/redeliver"
            again = await http.post(path, headers=headers)
            await eventually(lambda: _arrived(receiver, event.id, 2))
            await eventually(lambda: _delivered(http, headers, subscription["id"], event.id))
            after = await log_of(http, headers, subscription["id"], event.id)
            unknown = await http.post(path.replace(entry["id"], str(uuid4())), headers=headers)

        assert again.status_code == 202
        assert again.json()["status"] == "pending"
        first, second = receiver.of(event.id)
        assert first.headers["webhook-id"] == second.headers["webhook-id"] == entry["id"]
        assert first.body == second.body
        assert after is not None
        assert [a["status_code"] for a in after["attempt_log"]] == [200, 200]
        assert unknown.status_code == 404


class TestDisabling:
    async def test_persistent_failure_disables_the_subscription_and_parks_its_deliveries(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        failing, healthy = await receivers(), await receivers()
        failing.status = 500
        settings = {**FAST, "webhook_disable_after_seconds": 1.5}
        async with subscribed(start_gateway, fresh_database_url, failing.url, **settings) as (
            _app,
            http,
            headers,
            subscription,
        ):
            await subscribe(http, headers, healthy.url)
            path = f"/v1/webhooks/{subscription['id']}"
            first = admission()
            await publish(js, first)

            async def disabled() -> dict[str, Any] | None:
                read = (await http.get(path, headers=headers)).json()
                return read if not read["enabled"] else None

            read = await eventually(disabled, timeout=20)
            parked = await log_of(http, headers, subscription["id"], first.id)
            assert parked is not None
            refused = await http.post(
                f"{path}/deliveries/{parked['id']}/redeliver", headers=headers
            )
            while_disabled = admission()
            await publish(js, while_disabled)
            await eventually(lambda: _arrived(healthy, while_disabled.id))  # read by the fan-out
            not_recorded = await log_of(http, headers, subscription["id"], while_disabled.id)
            failing.status = 200
            enabled = await http.post(f"{path}/enable", headers=headers)
            await eventually(lambda: _delivered(http, headers, subscription["id"], first.id))

        assert read["disabled_reason"].startswith("every attempt failed since")
        assert "HTTP 500" in read["disabled_reason"]
        assert read["disabled_at"] is not None
        assert parked["status"] == "parked"
        assert parked["attempts"] >= 2
        assert refused.status_code == 409
        assert refused.json()["errors"][0]["rule"] == "webhook_enabled"
        assert not_recorded is None  # a disabled subscription collects nothing new
        assert enabled.status_code == 200
        assert (enabled.json()["enabled"], enabled.json()["failing_since"]) == (True, None)
        assert failing.of(while_disabled.id) == []
        assert failing.of(first.id)[-1].headers["webhook-id"] == parked["id"]


class TestConnectionTimeCheck:
    async def test_an_address_allowed_when_subscribing_is_checked_again_on_connecting(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        """As after DNS rebinding: the address the URL leads to is checked on every connection,
        not only when the subscription was made."""
        client = await dongsheng_reader(fresh_database_url)
        receiver = await receivers()
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, http):
            subscription = await subscribe(http, auth(app, client), receiver.url)
        closed = {**FAST, "webhook_allowed_networks": []}
        async with start_gateway(database_url=fresh_database_url, **closed) as (app, http):
            await bound(app)
            headers = auth(app, client)
            event = admission()
            await publish(js, event)

            async def attempted() -> dict[str, Any] | None:
                entry = await log_of(http, headers, subscription["id"], event.id)
                return entry if entry and entry["attempts"] >= 1 else None

            entry = await eventually(attempted, timeout=10)
        assert receiver.of(event.id) == []
        assert "address not allowed: 127.0.0.1 → 127.0.0.1 is loopback" in entry["last_error"]


class TestDisabledClient:
    async def test_a_disabled_clients_subscriptions_receive_nothing(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        disabled = await register_client(
            fresh_database_url, jurisdiction=["150602"], scopes=["enrollment:read"]
        )
        active = await register_client(
            fresh_database_url, jurisdiction=["150602"], scopes=["enrollment:read"]
        )
        theirs, witness = await receivers(), await receivers()
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, http):
            await bound(app)
            await subscribe(http, auth(app, disabled), theirs.url)
            await subscribe(http, auth(app, active), witness.url)
            async with app.state.sessionmaker() as session:  # the operator disables the client
                await session.execute(
                    update(Client).where(Client.client_id == disabled).values(disabled=True)
                )
                await session.commit()
            event = admission()
            await publish(js, event)
            await eventually(lambda: _arrived(witness, event.id))
            await asyncio.sleep(0.3)
        assert theirs.of(event.id) == []
