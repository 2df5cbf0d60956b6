"""One production topology for the topology and operations modules (the walkthroughs start
their own: each needs a county of its own)."""

from collections.abc import Iterator
from typing import Any

import pytest
from junheng_devtools.cluster import Cluster
from junheng_devtools.system import ALL_SCOPES

from .support import running_cluster


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from running_cluster(tmp_path_factory, "cluster-topology")


@pytest.fixture(scope="session")
def bureau(cluster: Cluster) -> dict[str, Any]:
    """The bureau's client (every scope, Dongsheng)."""
    return cluster.register_client(name="东胜区教育局", scopes=ALL_SCOPES, jurisdiction=["150602"])


@pytest.fixture
def token(cluster: Cluster, bureau: dict[str, Any]) -> str:
    """A fresh token of the bureau: signed by the key the gateways sign with now (a test may
    rotate it)."""
    return cluster.token(bureau)
