"""The evaluation walkthrough of tests/e2e, unchanged, on the production topology: PostgreSQL, a
3-node NATS cluster with identities and TLS, two replicas of every service, and the client's
requests spread over both gateways."""

from collections.abc import Iterator

import pytest
from junheng_devtools.cluster import Cluster

from tests.e2e.test_evaluation_walkthrough import *  # noqa: F403 - the same tests, collected here

from .support import running_cluster


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from running_cluster(tmp_path_factory, "cluster-evaluation", agencies=False)
