"""The fan-out's durables are filtered on what the subscriptions want (gateway.webhooks.interest),
on the real nats-server, SQLite and PostgreSQL: an event nobody subscribed to never reaches a
gateway; a subscription's types are in the filter before its 201, also when replicas subscribe
at once; deleting it narrows the filter again; a replica starting leaves the filter as the
subscriptions want it, and a durable of the old form (every subject) is narrowed; without NATS
a subscription is refused, 503, and nothing is saved."""

import asyncio
from typing import Any

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import update

from gateway.auth.models import Client
from gateway.webhooks.catalogue import EVENTS
from gateway.webhooks.interest import CHECK_SECONDS, nothing_subject
from junheng_kit.natsauth import WEBHOOK_DURABLE
from junheng_kit.testing.plugin import eventually

from .conftest import register_client
from .test_webhook_delivery import (
    ADMISSIONS,
    FAST,
    Receivers,
    _arrived,
    admission,
    auth,
    bound,
    dongsheng_reader,
    publish,
    subscribe,
)

NOTHING = nothing_subject("ENROLLMENT")


async def filtered_on(js: Any, stream: str = "ENROLLMENT") -> list[str]:
    info = await js.consumer_info(stream, WEBHOOK_DURABLE)
    return sorted(info.config.filter_subjects or [info.config.filter_subject])


async def settles_on(js: Any, subjects: list[str], stream: str = "ENROLLMENT") -> None:
    async def there() -> bool:
        return await filtered_on(js, stream) == subjects

    await eventually(there, timeout=10 * CHECK_SECONDS + 5)


class TestNobodySubscribed:
    async def test_an_event_nobody_subscribed_to_never_reaches_the_gateway(
        self, start_gateway: Any, fresh_database_url: str, js: Any
    ) -> None:
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, _):
            await bound(app)
            await settles_on(js, [NOTHING])
            before = await js.consumer_info("ENROLLMENT", WEBHOOK_DURABLE)
            for _ in range(20):
                await publish(js, admission())
            await asyncio.sleep(2 * CHECK_SECONDS)
            after = await js.consumer_info("ENROLLMENT", WEBHOOK_DURABLE)
        assert after.delivered.consumer_seq == before.delivered.consumer_seq  # none handed out
        assert (after.num_pending, after.num_ack_pending) == (0, 0)


class TestSubscriptions:
    async def test_the_types_are_in_the_filter_before_the_answer_and_leave_with_the_last(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        client = await dongsheng_reader(fresh_database_url)
        receiver = await receivers()
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, http):
            await bound(app)
            headers = auth(app, client)
            first = await subscribe(http, headers, receiver.url)
            assert await filtered_on(js) == [ADMISSIONS]  # no waiting: before the 201
            event = admission()
            await publish(js, event)  # published after the answer: delivered
            await eventually(lambda: _arrived(receiver, event.id), timeout=15)

            second = await subscribe(http, headers, receiver.url)  # the same type again
            assert (await http.delete(f"/v1/webhooks/{first['id']}", headers=headers)).is_success
            await asyncio.sleep(3 * CHECK_SECONDS)
            assert await filtered_on(js) == [ADMISSIONS]  # the second still lists it
            assert (await http.delete(f"/v1/webhooks/{second['id']}", headers=headers)).is_success
            await settles_on(js, [NOTHING])

    async def test_replicas_subscribing_at_once_each_find_their_types_in_the_filter(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        """A subscription to each of enrollment's event types, all at once, through two
        replicas: right after the last answer the filter holds every type (no replica wrote
        over another's widening)."""
        types = sorted(t for t in EVENTS if t.startswith("enrollment."))
        assert len(types) >= 5
        client = await dongsheng_reader(fresh_database_url)
        receiver = await receivers()
        async with (
            start_gateway(database_url=fresh_database_url, **FAST) as (first, first_http),
            start_gateway(database_url=fresh_database_url, **FAST) as (second, second_http),
        ):
            await bound(first)
            await bound(second)
            clients = [(first_http, auth(first, client)), (second_http, auth(second, client))]
            await asyncio.gather(
                *(
                    subscribe(*clients[n % 2], receiver.url, event_type)
                    for n, event_type in enumerate(types)
                )
            )
            assert await filtered_on(js) == types
            await asyncio.sleep(3 * CHECK_SECONDS)  # both replicas reconcile meanwhile
            assert await filtered_on(js) == types

    async def test_a_client_that_loses_the_read_scope_takes_its_types_out(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        """A subscription whose client lost the producer's read scope receives nothing: its
        types leave the filter."""
        client = await register_client(
            fresh_database_url, jurisdiction=["150602"], scopes=["staffing:read"]
        )
        receiver = await receivers()
        staffing = sorted(t for t in EVENTS if t.startswith("staffing."))[0]
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, http):
            await bound(app)
            token = app.state.signer.issue(
                subject=client, scopes=["staffing:read"], jurisdiction=["150602"]
            )
            await subscribe(http, {"Authorization": f"Bearer {token}"}, receiver.url, staffing)
            assert await filtered_on(js, "STAFFING") == [staffing]
            async with app.state.sessionmaker() as session:  # the operator changes its scopes
                await session.execute(
                    update(Client).where(Client.client_id == client).values(scopes=["x:read"])
                )
                await session.commit()
            await settles_on(js, [nothing_subject("STAFFING")], "STAFFING")


class TestStarting:
    async def test_a_replica_starting_keeps_the_filter_the_subscriptions_want(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        client = await dongsheng_reader(fresh_database_url)
        receiver = await receivers()
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, http):
            await bound(app)
            await subscribe(http, auth(app, client), receiver.url)
            async with start_gateway(database_url=fresh_database_url, **FAST) as (later, _):
                await bound(later)
                await asyncio.sleep(2 * CHECK_SECONDS)
                assert await filtered_on(js) == [ADMISSIONS]

    async def test_a_durable_reading_every_subject_is_narrowed(
        self, start_gateway: Any, fresh_database_url: str, js: Any
    ) -> None:
        """As a gateway before this change left it: filtered on the whole stream."""
        await js.add_consumer(
            "ENROLLMENT",
            ConsumerConfig(
                durable_name=WEBHOOK_DURABLE,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.NEW,
                ack_wait=30,
                filter_subject="enrollment.>",
                max_ack_pending=1000,
            ),
        )
        assert await filtered_on(js) == ["enrollment.>"]
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, _):
            await bound(app)
            await settles_on(js, [NOTHING])


class TestWithoutNats:
    async def test_a_subscription_is_refused_and_nothing_is_saved(
        self, start_gateway: Any, fresh_database_url: str, js: Any, receivers: Receivers
    ) -> None:
        client = await dongsheng_reader(fresh_database_url)
        receiver = await receivers()
        async with start_gateway(database_url=fresh_database_url, **FAST) as (app, http):
            await bound(app)
            await settles_on(js, [NOTHING])
            headers = auth(app, client)
            await app.state.nats.close()  # the gateway's own connection: NATS is out of reach
            refused = await http.post(
                "/v1/webhooks",
                json={"url": receiver.url, "event_types": [ADMISSIONS]},
                headers=headers,
            )
            listed = await http.get("/v1/webhooks", headers=headers)
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["retry-after"] == "1"
        assert "NATS" in refused.json()["detail"]
        assert listed.status_code == 200
        assert listed.json()["items"] == []
        assert await filtered_on(js) == [NOTHING]
