"""The cluster launcher's NATS: three real nodes that form one JetStream cluster, even when a
port it picked is taken by another process before nats-server binds it."""

import json
import socket
from pathlib import Path

import httpx
from junheng_devtools.cluster import Cluster

from junheng_kit import natsauth
from junheng_kit.processes import free_port


def test_a_taken_router_port_is_replaced_and_the_cluster_still_forms(tmp_path: Path) -> None:
    cluster = Cluster(var=tmp_path)
    auth = natsauth.init(cluster.nats_auth_dir)
    tls = natsauth.ensure_tls(cluster.nats_tls.ca.parent, ["127.0.0.1", "localhost"])
    with socket.socket() as squatter:
        # another process holds the router port the launcher had recorded for node 1
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        kinds = ("client", "cluster", "monitor")
        recorded = {kind: [free_port() for _ in range(3)] for kind in kinds}
        recorded["cluster"][1] = taken
        (tmp_path / "nats-ports.json").write_text(json.dumps(recorded))
        nodes = cluster._nats(tls, auth)
    try:
        now = json.loads((tmp_path / "nats-ports.json").read_text())
        assert taken not in now["cluster"]
        assert [node.cluster_port for node in nodes] == now["cluster"]
        for node in nodes:
            jsz = httpx.get(f"http://127.0.0.1:{node.monitor_port}/jsz", timeout=5).json()
            assert jsz["meta_cluster"]["cluster_size"] == 3
            assert jsz["meta_cluster"]["leader"]
    finally:
        for node in nodes:
            node.stop()
