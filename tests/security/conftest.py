"""One running system for every security module: nats-server, four services, the gateway and
the partner-agency simulators as real processes (started once per session: ~30 s)."""

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from junheng_kit.system import ALL_SCOPES, System

DONGSHENG = "150602"  # 鄂尔多斯市东胜区
TONGYU = "220822"  # 白城市通榆县

ClientFactory = Callable[..., httpx.Client]


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    from junheng_kit.processes import free_port

    running = System(
        var=tmp_path_factory.mktemp("security-system"),
        gateway_port=free_port(),
        agency_region=DONGSHENG,
        ready_timeout=240,  # the shared machine is busy: imports alone can take a minute
        extra_env={
            "GATEWAY_RATE_LIMIT_PER_SECOND": "5000",
            "GATEWAY_RATE_LIMIT_BURST": "10000",
            "GATEWAY_OPENAPI_TIMEOUT_SECONDS": "60",
        },
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def token_for(system: System) -> Callable[..., str]:
    """A gateway token for a client holding `scopes` in `jurisdiction` (clients are cached)."""
    tokens: dict[tuple[frozenset[str], tuple[str, ...]], str] = {}
    lock = threading.Lock()  # tests call this from worker threads

    def token(
        scopes: list[str] | tuple[str, ...], jurisdiction: tuple[str, ...] = (DONGSHENG,)
    ) -> str:
        key = (frozenset(scopes), tuple(jurisdiction))
        with lock:
            if key in tokens:
                return tokens[key]
            credentials = system.register_client(
                name=f"security test {len(tokens)}",
                scopes=sorted(scopes),
                jurisdiction=list(jurisdiction),
            )
            tokens[key] = system.token(credentials)
            return tokens[key]

    return token


@pytest.fixture(scope="session")
def client_for(system: System, token_for: Callable[..., str]) -> Iterator[ClientFactory]:
    """An HTTP client (gateway unless `base_url`) with such a token, or none for `scopes=None`."""
    opened: dict[tuple[frozenset[str] | None, tuple[str, ...], str], httpx.Client] = {}
    lock = threading.Lock()

    def client(
        scopes: list[str] | tuple[str, ...] | None = None,
        jurisdiction: tuple[str, ...] = (DONGSHENG,),
        base_url: str | None = None,
    ) -> httpx.Client:
        url = base_url or system.gateway_url
        key = (None if scopes is None else frozenset(scopes), tuple(jurisdiction), url)
        headers = {}
        if scopes is not None:
            headers["Authorization"] = f"Bearer {token_for(scopes, jurisdiction)}"
        with lock:
            if key not in opened:
                opened[key] = httpx.Client(base_url=url, timeout=60, headers=headers)
            return opened[key]

    yield client
    for http in opened.values():
        http.close()


@pytest.fixture(scope="session")
def dongsheng(client_for: ClientFactory) -> httpx.Client:
    return client_for(ALL_SCOPES, (DONGSHENG,))


@pytest.fixture(scope="session")
def tongyu(client_for: ClientFactory) -> httpx.Client:
    return client_for(ALL_SCOPES, (TONGYU,))


@pytest.fixture(scope="session")
def merged_openapi(system: System) -> dict[str, Any]:
    response = httpx.get(f"{system.gateway_url}/openapi.json", timeout=120)
    assert response.status_code == 200
    document = dict(response.json())
    assert "Not listed" not in document["info"].get("description", ""), "a service was missing"
    return document
