"""Every boundary of the message plane, on a real nats-server with the generated identities,
permissions and TLS (junheng_kit.natsauth): what each identity may do works, everything else is
refused by the server — and a refused event never reaches a stream."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from junheng_kit import natsauth
from junheng_kit.auth import Jurisdiction, Principal
from junheng_kit.changes import read_changes
from junheng_kit.messaging.connection import (
    connect,
    ensure_buckets,
    ensure_service_assets,
    ensure_streams,
)
from junheng_kit.natsauth import Durable, TlsFiles
from junheng_kit.processes import NatsServer
from junheng_kit.testing.plugin import eventually

DURABLES = {
    "enrollment": [],
    "staffing": [Durable("ENROLLMENT", "staffing-schools")],
    "assistance": [Durable("ENROLLMENT", "assistance-schools")],
    "evaluation": [
        Durable("ENROLLMENT", "evaluation-schools"),
        Durable("STAFFING", "evaluation-teacher-stats"),
    ],
}


class Secured:
    def __init__(self, directory: Path) -> None:
        self.auth = directory / "auth"
        keys = natsauth.ensure_seeds(self.auth)
        (self.auth / natsauth.AUTH_CONF).write_text(
            natsauth.auth_conf(natsauth.users(dict(keys), DURABLES))
        )
        self.tls: TlsFiles = natsauth.ensure_tls(directory / "tls", ["127.0.0.1"])
        self.server = NatsServer(
            directory / "nats", auth=self.auth / natsauth.AUTH_CONF, tls=self.tls
        )

    async def connect(self, role: str, errors: list[str] | None = None, **kwargs: Any) -> Client:
        async def collect(error: Exception) -> None:
            if errors is not None:
                errors.append(str(error))

        return await connect(
            self.server.url,
            role,
            seed_file=natsauth.seed_file(self.auth, role),
            ca_file=self.tls.ca,
            error_cb=collect,
            **kwargs,
        )


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    plane = Secured(tmp_path_factory.mktemp("secured-nats"))
    plane.server.start()
    yield plane
    plane.server.stop()


@pytest.fixture(scope="module")
def assets(secured: Secured) -> None:
    """Streams and buckets as the processes create them (the operator may do everything)."""

    async def create() -> None:
        operator = await secured.connect("operator")
        js = operator.jetstream()
        await ensure_streams(js)
        await ensure_buckets(js)
        for service in DURABLES:
            await ensure_service_assets(js, service, 1)
        await operator.close()

    asyncio.run(create())


async def stored(secured: Secured, stream: str) -> int:
    operator = await secured.connect("operator")
    try:
        return int((await operator.jetstream().stream_info(stream)).state.messages)
    finally:
        await operator.close()


async def refused(errors: list[str], subject: str) -> bool:
    """The server told the client its publish or subscription on `subject` was refused
    (nats-py reports the server's message in lower case)."""

    async def seen() -> bool:
        return any(
            "permissions violation" in e.lower() and subject.lower() in e.lower() for e in errors
        )

    return bool(await eventually(seen, timeout=5))


pytestmark = pytest.mark.usefixtures("assets")


class TestIdentities:
    async def test_a_client_without_an_identity_is_refused(self, secured: Secured) -> None:
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await connect(
                secured.server.url, "nobody", ca_file=secured.tls.ca, allow_reconnect=False
            )

    async def test_a_seed_the_server_does_not_know_is_refused(
        self, secured: Secured, tmp_path: Path
    ) -> None:
        natsauth.ensure_seeds(tmp_path, ["enrollment"])  # a new key, never configured
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await connect(
                secured.server.url,
                "enrollment",
                seed_file=natsauth.seed_file(tmp_path, "enrollment"),
                ca_file=secured.tls.ca,
                allow_reconnect=False,
            )

    async def test_plain_tcp_is_refused(self, secured: Secured) -> None:
        plain = secured.server.url.replace("tls://", "nats://")
        with pytest.raises(Exception):  # noqa: B017 - TLS required: the handshake fails
            await nats.connect(
                plain,
                nkeys_seed=str(natsauth.seed_file(secured.auth, "enrollment")),
                allow_reconnect=False,
                connect_timeout=2,
            )


class TestServices:
    async def test_a_service_publishes_its_own_events(self, secured: Secured) -> None:
        enrollment = await secured.connect("enrollment")
        before = await stored(secured, "ENROLLMENT")
        ack = await enrollment.jetstream().publish("enrollment.school.registered", b"{}")
        await enrollment.close()
        assert ack.stream == "ENROLLMENT"
        assert await stored(secured, "ENROLLMENT") == before + 1

    async def test_another_services_event_is_refused_and_never_stored(
        self, secured: Secured
    ) -> None:
        errors: list[str] = []
        staffing = await secured.connect("staffing", errors)
        before = await stored(secured, "ENROLLMENT")
        await staffing.publish("enrollment.school.updated", b'{"forged": true}')
        await staffing.flush()
        assert await refused(errors, "enrollment.school.updated")
        await staffing.close()
        assert await stored(secured, "ENROLLMENT") == before

    async def test_a_service_may_not_call_another_service_or_pose_as_the_gateway(
        self, secured: Secured
    ) -> None:
        errors: list[str] = []
        staffing = await secured.connect("staffing", errors)
        await staffing.publish("rpc.enrollment.http", b"")
        await staffing.subscribe("rpc.enrollment.http", queue="enrollment")
        await staffing.subscribe("_INBOX_gateway.>")
        await staffing.flush()
        assert await refused(errors, "rpc.enrollment.http")
        assert await refused(errors, "_INBOX_gateway.>")
        await staffing.close()

    async def test_a_service_reads_the_signing_keys_but_cannot_write_them(
        self, secured: Secured
    ) -> None:
        gateway = await secured.connect("gateway")
        await (await gateway.jetstream().key_value("junheng-keys")).put("jwks", b'{"keys":[]}')
        await gateway.close()
        errors: list[str] = []
        evaluation = await secured.connect("evaluation", errors)
        keys = await evaluation.jetstream().key_value("junheng-keys")
        assert (await keys.get("jwks")).value == b'{"keys":[]}'
        await evaluation.publish("$KV.junheng-keys.jwks", b'{"keys":[{"kid":"forged"}]}')
        await evaluation.flush()
        assert await refused(errors, "$KV.junheng-keys.jwks")
        await evaluation.close()
        operator = await secured.connect("operator")
        entry = await (await operator.jetstream().key_value("junheng-keys")).get("jwks")
        await operator.close()
        assert entry.value == b'{"keys":[]}'

    async def test_a_service_pulls_its_own_durable_and_no_other(self, secured: Secured) -> None:
        staffing = await secured.connect("staffing")
        js = staffing.jetstream()
        config = ConsumerConfig(
            durable_name="staffing-schools",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=["enrollment.school.registered"],
        )
        await js.add_consumer("ENROLLMENT", config)
        sub = await js.pull_subscribe_bind("staffing-schools", stream="ENROLLMENT")
        messages = await sub.fetch(1, timeout=5)
        await messages[0].ack()
        with pytest.raises(Exception):  # noqa: B017 - no permission: no API answer
            await js.add_consumer(
                "ENROLLMENT",
                ConsumerConfig(durable_name="evaluation-schools", ack_policy=AckPolicy.EXPLICIT),
                timeout=2,
            )
        await staffing.close()

    async def test_a_service_reads_its_own_events_back_for_its_change_feed_and_no_other(
        self, secured: Secured
    ) -> None:
        """The change feed (junheng_kit.changes) reads the service's own stream in order
        through an ordered consumer; another producer's stream stays closed to it."""
        event = {
            "id": "e-feed-1",
            "type": "enrollment.zone_map.published",
            "source": "junheng/enrollment",
            "subject": "150602/primary/2026",
            "time": "2026-12-06T00:00:00Z",
            "jurisdiction": "150602",
            "data": {},
        }
        enrollment = await secured.connect("enrollment")
        js = enrollment.jetstream()
        ack = await js.publish("enrollment.zone_map.published", json.dumps(event).encode())
        reader = Principal("app", frozenset({"enrollment:read"}), Jurisdiction(("150602",)))

        items, last = await read_changes(
            js,
            "enrollment",
            start=ack.seq,
            end=ack.seq,
            limit=10,
            principal=reader,
            types=frozenset(),
        )

        assert (last, [item.id for item in items]) == (ack.seq, ["e-feed-1"])
        with pytest.raises(Exception):  # noqa: B017 - no permission: no API answer
            await read_changes(
                js, "staffing", start=1, end=1, limit=1, principal=reader, types=frozenset()
            )
        await enrollment.close()

    async def test_a_service_may_not_change_another_stream(self, secured: Secured) -> None:
        errors: list[str] = []
        assistance = await secured.connect("assistance", errors)
        with pytest.raises(Exception):  # noqa: B017 - refused: the request times out
            await assistance.jetstream().delete_stream("ENROLLMENT")
        assert await refused(errors, "$JS.API.STREAM.DELETE.ENROLLMENT")
        await assistance.close()
        assert await stored(secured, "ENROLLMENT") >= 0  # still there

    async def test_dead_letters_go_to_the_services_own_subject(self, secured: Secured) -> None:
        errors: list[str] = []
        evaluation = await secured.connect("evaluation", errors)
        ack = await evaluation.jetstream().publish("dlq.evaluation.evaluation-seats", b"{}")
        assert ack.stream == "DLQ"
        await evaluation.publish("dlq.staffing.staffing-schools", b"{}")
        await evaluation.flush()
        assert await refused(errors, "dlq.staffing.staffing-schools")
        await evaluation.close()


class TestGateway:
    async def test_the_gateway_calls_services_but_publishes_no_event(
        self, secured: Secured
    ) -> None:
        errors: list[str] = []
        enrollment = await secured.connect("enrollment")

        async def answer(msg: Any) -> None:
            await msg.respond(b"pong")

        await enrollment.subscribe("rpc.enrollment.http", queue="enrollment", cb=answer)
        await enrollment.flush()
        gateway = await secured.connect("gateway", errors)
        reply = await gateway.request("rpc.enrollment.http", b"ping", timeout=5)
        assert reply.data == b"pong"  # the service answered on the gateway's own inbox
        before = await stored(secured, "ENROLLMENT")
        await gateway.publish("enrollment.school.registered", b"{}")
        await gateway.flush()
        assert await refused(errors, "enrollment.school.registered")
        await asyncio.gather(gateway.close(), enrollment.close())
        assert await stored(secured, "ENROLLMENT") == before

    async def test_the_gateway_pulls_its_webhook_durable_and_a_service_cannot(
        self, secured: Secured
    ) -> None:
        """Webhooks: the gateway creates, pulls and acks `gateway-webhooks` on every
        producer's stream, no other durable there; no service pulls it, not even the stream's
        own producer."""

        def webhooks(stream: str, name: str = natsauth.WEBHOOK_DURABLE) -> ConsumerConfig:
            return ConsumerConfig(
                durable_name=name,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.NEW,
                filter_subject=f"{stream.lower()}.>",
            )

        gateway = await secured.connect("gateway")
        js = gateway.jetstream()
        for stream in ("ENROLLMENT", "STAFFING", "ASSISTANCE", "EVALUATION"):
            await js.add_consumer(stream, webhooks(stream))
        pulled = await js.pull_subscribe_bind(natsauth.WEBHOOK_DURABLE, stream="ENROLLMENT")
        errors: list[str] = []
        enrollment = await secured.connect("enrollment", errors)
        await enrollment.jetstream().publish("enrollment.school.updated", b'{"id": "w-1"}')
        [message] = await pulled.fetch(1, timeout=5)
        assert message.data == b'{"id": "w-1"}'
        await message.ack()
        with pytest.raises(Exception):  # noqa: B017 - no permission: no API answer
            await js.add_consumer("ENROLLMENT", webhooks("ENROLLMENT", "gateway-other"), timeout=2)
        stolen = await enrollment.jetstream().pull_subscribe_bind(
            natsauth.WEBHOOK_DURABLE, stream="ENROLLMENT"
        )
        with pytest.raises(Exception):  # noqa: B017 - refused: the pull times out
            await stolen.fetch(1, timeout=2)
        assert await refused(
            errors, f"$JS.API.CONSUMER.MSG.NEXT.ENROLLMENT.{natsauth.WEBHOOK_DURABLE}"
        )
        await asyncio.gather(gateway.close(), enrollment.close())

    async def test_only_the_gateway_writes_the_body_store(self, secured: Secured) -> None:
        gateway = await secured.connect("gateway")
        store = await gateway.jetstream().object_store("junheng-bodies")
        await store.put("b-test", b"x" * 100)
        await gateway.close()
        errors: list[str] = []
        enrollment = await secured.connect("enrollment", errors)
        readable = await enrollment.jetstream().object_store("junheng-bodies")
        assert (await readable.get("b-test")).data == b"x" * 100
        await enrollment.publish("$O.junheng-bodies.M.forged", b"{}")
        await enrollment.flush()
        assert await refused(errors, "$O.junheng-bodies.M.forged")
        await enrollment.close()


class TestLargeBodies:
    async def test_a_body_and_an_answer_above_the_message_size_cross_under_permissions(
        self, secured: Secured
    ) -> None:
        """The request body through the gateway's store, the answer through the service's own
        reply bucket; both objects removed by the gateway afterwards."""
        import os

        from junheng_kit.bridge import BridgeClient, BridgeServer

        async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body[::-1]})

        errors: list[str] = []
        enrollment = await secured.connect("enrollment", errors)
        gateway = await secured.connect("gateway", errors)
        server = BridgeServer(echo, enrollment, enrollment.jetstream(), "enrollment")
        await server.start()
        await enrollment.flush()
        body = os.urandom(12 * 1024 * 1024)  # incompressible: through the object stores
        answer = await BridgeClient(gateway, gateway.jetstream()).request(
            "enrollment",
            method="POST",
            path="/echo",
            query="",
            headers=[],
            body=body,
            timeout=60,
        )
        assert answer.status == 200
        assert answer.body == body[::-1]

        async def removed() -> bool:  # the chunks purged; a deletion marker stays
            js = gateway.jetstream()
            requests = await js.stream_info("OBJ_junheng-bodies")
            replies = await js.stream_info("OBJ_junheng-replies-enrollment")
            return requests.state.bytes < 4096 and replies.state.bytes < 4096

        assert await eventually(removed, timeout=10)
        await server.stop()
        await asyncio.gather(gateway.close(), enrollment.close())
        assert [e for e in errors if "violation" in e.lower()] == []
