"""The runbook's rotations done on the running production topology, step by step as written
(docs/runbook.md §7.1 a process's NATS nkey, §5 the gateway's signing key with its trust-root
certificate): nothing stops answering, and the old credential is refused at the end."""

import asyncio
import shutil
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from junheng_devtools.cluster import Cluster

from junheng_kit import natsauth
from junheng_kit.messaging.connection import connect
from junheng_kit.tokens import TokenSigner
from junheng_kit.trust import add_certificate, certify

from .support import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]


def school(code: str) -> dict[str, Any]:
    return {
        "school_code": code,
        "name": f"轮换测试学校{code[-4:]}",
        "levels": ["primary"],
        "county_code": "150602",
        "location": {"longitude": 109.99, "latitude": 39.82},
        "planned_capacity": 600,
    }


def registered_and_copied(cluster: Cluster, token: str, code: str) -> None:
    """A write through each gateway reaches enrollment and, by events, staffing's copy."""
    for url in cluster.gateway_urls:
        with httpx.Client(
            base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            body = school(code)
            created = http.post(
                "/enrollment/v1/schools", json=body, headers={"Idempotency-Key": f"rot-{code}"}
            )
            assert created.status_code == 201, created.text
            copied = f"/staffing/v1/schools/{code}"
            wait_until(lambda http=http, copied=copied: http.get(copied).status_code == 200, 60)
        code = code[:-1] + str(int(code[-1]) + 1)


def reload_nodes(cluster: Cluster) -> None:
    """`nats-server --signal reload` on every node, and wait until each has reloaded."""
    counts = [
        node.log.read_text().count("Reloaded server configuration") for node in cluster.nats_nodes
    ]
    for node in cluster.nats_nodes:
        node.reload()
    for node, before in zip(cluster.nats_nodes, counts, strict=True):
        wait_until(
            lambda node=node, before=before: (
                node.log.read_text().count("Reloaded server configuration") > before
            ),
            30,
        )


def roll(cluster: Cluster, role: str, **env: str) -> None:
    """Restart a role's replicas one after the other (a rolling restart), with `env` changed."""
    for name in cluster.replica_names(role):
        process = cluster.processes[name]
        process.env.update(env)
        process.stop()
        process.start()
        process.wait_ready(300)


async def refused_seed(cluster: Cluster, seed: Path) -> bool:
    try:
        nc = await connect(
            cluster.nats_urls,
            "enrollment",
            seed_file=seed,
            ca_file=cluster.nats_tls.ca,
            allow_reconnect=False,
        )
    except nats.errors.Error as error:
        return "authorization violation" in str(error).lower()
    await nc.close()
    return False


def test_rotating_a_services_nats_nkey_as_the_runbook_says(cluster: Cluster, token: str) -> None:
    creds = cluster.nats_auth_dir
    seed = natsauth.seed_file(creds, "enrollment")
    # 1. the current public key, then a new seed; auth.conf lists both keys for the role
    old_key = natsauth.public_key(seed.read_bytes())
    old_seed = creds / "enrollment.nk.old"
    shutil.move(seed, old_seed)
    assert natsauth.main(["init", "--dir", str(creds), "--also", f"enrollment={old_key}"]) == 0
    assert natsauth.public_key(seed.read_bytes()) != old_key
    # 2. the servers: reload
    reload_nodes(cluster)
    registered_and_copied(cluster, token, "2115065810")  # the old key still serves
    # 3. the process: the new seed (same file name), rolled one replica after the other
    roll(cluster, "enrollment")
    registered_and_copied(cluster, token, "2115065820")
    # 4. drop the old key: regenerate without --also, reload
    assert natsauth.main(["init", "--dir", str(creds)]) == 0
    reload_nodes(cluster)
    assert asyncio.run(refused_seed(cluster, old_seed))
    assert not asyncio.run(refused_seed(cluster, seed))
    old_seed.unlink()
    registered_and_copied(cluster, token, "2115065830")


def test_rotating_the_signing_key_with_its_certificate_as_the_runbook_says(
    cluster: Cluster, token: str
) -> None:
    var = cluster.var
    old_private = var / "gateway-signing-key.pem"
    old_public, new_private, new_public = (
        var / "old-signing-key.pub.pem",
        var / "new-signing-key.pem",
        var / "new-signing-key.pub.pem",
    )
    old = TokenSigner.from_pem(old_private.read_bytes(), issuer="i", audience="a")
    new = TokenSigner.generate(issuer="i", audience="a")
    old_public.write_bytes(public_pem(old))
    new_private.write_bytes(new.private_pem())
    new_public.write_bytes(public_pem(new))
    # the new key's certificate, from the offline root, into the same certificates file
    add_certificate(
        var / "gateway-key-certificates.json", certify(cluster.trust_root(), new.public_jwk, days=1)
    )
    # 1. publish the new key: signing old, previous new
    roll(cluster, "gateway", GATEWAY_PREVIOUS_KEY_FILES=str(new_public))
    old_token = token
    # 2. swap: signing new, previous old
    roll(
        cluster,
        "gateway",
        GATEWAY_SIGNING_KEY_FILE=str(new_private),
        GATEWAY_PREVIOUS_KEY_FILES=str(old_public),
    )
    credentials = cluster.register_client(
        name="轮换后的客户端", scopes=["enrollment:read", "staffing:read"], jurisdiction=["150602"]
    )
    new_token = cluster.token(credentials)
    assert kid_of(new_token) == new.kid
    urls = read_urls(cluster)
    for bearer in (old_token, new_token):  # both accepted everywhere
        for url in urls:
            answer = httpx.get(url, headers={"Authorization": f"Bearer {bearer}"}, timeout=30)
            assert answer.status_code == 200, (url, answer.text)
    # 3. drop the old key (here without waiting the token TTL: the old token must now fail)
    roll(cluster, "gateway", GATEWAY_PREVIOUS_KEY_FILES=str(new_public))
    for url in urls:  # services: within JUNHENG_JWKS_MAX_AGE_SECONDS (30 s)
        old = {"Authorization": f"Bearer {old_token}"}
        answer = wait_until(
            lambda url=url, old=old: (
                (r := httpx.get(url, headers=old, timeout=30)).status_code == 401 and r
            ),
            60,
        )
        assert answer.json()["detail"] == "令牌由未知密钥签名"
        fresh = httpx.get(url, headers={"Authorization": f"Bearer {new_token}"}, timeout=30)
        assert fresh.status_code == 200, (url, fresh.text)


def public_pem(signer: TokenSigner) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return signer.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def kid_of(token: str) -> str:
    import jwt

    return str(jwt.get_unverified_header(token)["kid"])


def read_urls(cluster: Cluster) -> list[str]:
    """A read at both gateways and at every service replica's own port."""
    urls = [f"{url}/enrollment/v1/schools" for url in cluster.gateway_urls]
    for name, process in cluster.processes.items():
        if name.split("-")[0] in ("enrollment", "staffing"):
            urls.append(f"http://127.0.0.1:{process.port}/v1/schools")
    return urls
