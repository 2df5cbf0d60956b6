"""What the walkthroughs share: the whole system as processes, and the bureau's token."""

from collections.abc import Iterator

import pytest
from junheng_devtools.system import ALL_SCOPES, System

from junheng_kit.crypto_profile import PROFILES
from junheng_kit.processes import free_port
from junheng_kit.testing.plugin import use_crypto_profile

# a walkthrough's `system` fixture takes these params: the whole walkthrough runs once per
# cryptographic profile — international, then 国密 (SM2 tokens and key certificates, SM4 fields,
# SM3 chains and blind indexes; JUNHENG_CRYPTO_PROFILE=guomi in every process, as a
# deployment switches)
CRYPTO_PROFILES = PROFILES


def running_system(
    tmp_path_factory: pytest.TempPathFactory, name: str, crypto_profile: str = "international"
) -> Iterator[System]:
    """For one walkthrough module: every service and the gateway on SQLite, no partner
    agencies, a rate limit the walkthrough never meets; stopped when the module ends."""
    with use_crypto_profile(crypto_profile):
        yield from _running(tmp_path_factory, f"{name}-{crypto_profile}")


def _running(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[System]:
    running = System(
        var=tmp_path_factory.mktemp(name),
        gateway_port=free_port(),
        agencies=(),
        ready_timeout=180,
        extra_env={"GATEWAY_RATE_LIMIT_PER_SECOND": "1000", "GATEWAY_RATE_LIMIT_BURST": "2000"},
    )
    running.start()
    yield running
    running.stop()


def bureau_token(system: System, county: str = "150602") -> str:
    """A token of the county's education bureau holding every scope."""
    credentials = system.register_client(
        name="东胜区教育局", scopes=ALL_SCOPES, jurisdiction=[county]
    )
    return system.token(credentials)
