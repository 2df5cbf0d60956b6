"""Streams are raised, never lowered: a process asking for fewer replicas (or a smaller duplicate
window) leaves the stream as it is, says so, and is not ready. JetStream set-up at start-up is
retried until the cluster answers (a leader election, quorum lost): the process stays up, not
ready, and becomes ready when JetStream is back — on a real 3-node nats-server cluster."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from junheng_kit.app import build_service_app
from junheng_kit.messaging.connection import connect, ensure_stream, event_stream, reconcile
from junheng_kit.processes import NatsServer, free_port
from junheng_kit.testing.plugin import eventually, small_service_settings


class TestReconcile:
    def existing(self, **changes: object) -> StreamConfig:
        config = event_stream("ENROLLMENT", ["enrollment.>"], 3)
        for name, value in changes.items():
            setattr(config, name, value)
        return config

    def test_a_missing_stream_is_created_as_asked(self) -> None:
        desired = event_stream("ENROLLMENT", ["enrollment.>"], 3)
        assert reconcile(desired, None).action == "create"

    def test_fewer_replicas_are_refused_and_reported(self) -> None:
        plan = reconcile(event_stream("ENROLLMENT", ["enrollment.>"], 1), self.existing())
        assert plan.action == "keep"
        assert plan.config.num_replicas == 3
        assert plan.problems == (
            "stream ENROLLMENT has 3 replicas; this process asks for 1 "
            "(JUNHENG_STREAM_REPLICAS): left at 3",
        )

    def test_more_replicas_and_a_longer_duplicate_window_are_raised(self) -> None:
        existing = self.existing(num_replicas=1, duplicate_window=60.0)
        plan = reconcile(event_stream("ENROLLMENT", ["enrollment.>"], 3), existing)
        assert (plan.action, plan.config.num_replicas) == ("update", 3)
        assert plan.config.duplicate_window == 300.0
        assert plan.problems == ()

    def test_limits_an_operator_set_are_left_as_they_are(self) -> None:
        existing = self.existing(max_age=30 * 86400.0, max_bytes=10**9, duplicate_window=600.0)
        plan = reconcile(event_stream("ENROLLMENT", ["enrollment.>"], 3), existing)
        assert plan.action == "keep"
        assert (plan.config.max_age, plan.config.max_bytes) == (30 * 86400.0, 10**9)
        assert plan.config.duplicate_window == 600.0  # longer than asked: kept
        assert plan.problems == ()

    def test_what_cannot_change_in_place_is_reported(self) -> None:
        existing = self.existing(
            storage=StorageType.MEMORY,
            retention=RetentionPolicy.WORK_QUEUE,
            discard=DiscardPolicy.NEW,
        )
        plan = reconcile(event_stream("ENROLLMENT", ["enrollment.>"], 3), existing)
        assert plan.action == "keep"
        assert [p.split(" has ")[1].split(",")[0] for p in plan.problems] == [
            "storage memory",
            "retention workqueue",
            "discard new",
        ]

    def test_subjects_are_added_never_removed(self) -> None:
        existing = self.existing(subjects=["enrollment.>", "legacy.>"])
        desired = event_stream("ENROLLMENT", ["enrollment.>", "enrollment2.>"], 3)
        plan = reconcile(desired, existing)
        assert plan.config.subjects == ["enrollment.>", "legacy.>", "enrollment2.>"]


def three_nodes(base: Path) -> list[NatsServer]:
    clients = [free_port() for _ in range(3)]
    routes = [free_port() for _ in range(3)]
    return [
        NatsServer(
            base / f"n{n}",
            port=clients[n],
            name=f"n{n}",
            cluster_port=routes[n],
            routes=[p for m, p in enumerate(routes) if m != n],
        )
        for n in range(3)
    ]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[NatsServer]]:
    nodes = three_nodes(tmp_path)
    for node in nodes:
        node.start(wait=False)
    for node in nodes:
        node.wait_ready()
    yield nodes
    for node in nodes:
        node.stop()


async def test_a_process_asking_for_fewer_replicas_leaves_the_stream_on_a_cluster(
    cluster: list[NatsServer],
) -> None:
    nc = await connect([n.url for n in cluster], "test-streams")
    js = nc.jetstream()

    async def created() -> bool:
        try:
            return await ensure_stream(js, "STAFFING", ["staffing.>"], 3) == []
        except Exception:  # noqa: BLE001 - the cluster is still electing its meta leader
            return False

    assert await eventually(created, timeout=30)
    problems = await ensure_stream(js, "STAFFING", ["staffing.>"], 1)
    assert problems == [
        "stream STAFFING has 3 replicas; this process asks for 1 (JUNHENG_STREAM_REPLICAS): "
        "left at 3"
    ]
    assert (await js.stream_info("STAFFING")).config.num_replicas == 3
    await nc.close()


async def test_set_up_waits_for_jetstream_and_the_process_becomes_ready_when_it_returns(
    cluster: list[NatsServer], tmp_path: Path
) -> None:
    """Two of three nodes down: no JetStream quorum, as during an election. The service starts,
    answers /healthz, is not ready; once the nodes are back it sets up and is ready."""
    for node in cluster[1:]:
        node.stop()
    settings = small_service_settings(
        "enrollment",
        f"sqlite+aiosqlite:///{tmp_path / 'enrollment.sqlite3'}",
        nats_url=cluster[0].url,
        stream_replicas=3,
    )
    app = build_service_app(settings, title="enrollment", description="", routers=[])
    async with app.router.lifespan_context(app):  # start-up does not fail
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            assert (await http.get("/healthz")).status_code == 200
            waiting = await http.get("/readyz")
            assert waiting.status_code == 503
            assert waiting.json()["checks"]["jetstream"]["state"] == "pending"
            for node in cluster[1:]:
                node.start(wait=False)

            async def ready() -> bool:
                return (await http.get("/readyz")).status_code == 200

            assert await eventually(ready, timeout=90, interval=0.5)
    nc = await connect(cluster[0].url, "test-streams")
    info = await nc.jetstream().stream_info("ENROLLMENT")
    await nc.close()
    assert info.config.num_replicas == 3


async def test_a_service_started_before_nats_waits_for_it_and_becomes_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NATS unreachable at start-up: the process serves /healthz, is not ready (nats failed,
    jetstream pending), and is ready once a node answers at the configured address."""
    import junheng_kit.app

    monkeypatch.setattr(junheng_kit.app, "STARTUP_WAIT_S", 0.5)
    node = NatsServer(tmp_path / "late-nats")
    settings = small_service_settings(
        "enrollment",
        f"sqlite+aiosqlite:///{tmp_path / 'enrollment.sqlite3'}",
        nats_url=node.url,
    )
    app = build_service_app(settings, title="enrollment", description="", routers=[])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
            assert (await http.get("/healthz")).status_code == 200
            waiting = await http.get("/readyz")
            assert waiting.status_code == 503
            assert waiting.json()["checks"]["nats"] == "failed"
            assert waiting.json()["checks"]["jetstream"]["state"] == "pending"
            node.start()
            try:

                async def ready() -> bool:
                    return (await http.get("/readyz")).status_code == 200

                assert await eventually(ready, timeout=30, interval=0.2)
            finally:
                node.stop()
