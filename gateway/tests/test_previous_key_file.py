"""deploy/ always mounts a second key file (GATEWAY_PREVIOUS_KEY_FILES) so that a rotation only
changes the files' contents. Outside a rotation it holds the signing key's own public half:
published once, as if no previous key were set (docs/runbook.md §5)."""

import json
import subprocess
from pathlib import Path
from typing import Any

from junheng_kit.auth import JWKS_KEY, KEYS_BUCKET
from junheng_kit.testing.plugin import auth
from junheng_kit.tokens import TokenSigner


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


async def test_the_signing_keys_own_public_half_as_previous_key_is_listed_once(
    start_gateway: Any, tmp_path: Path, js: Any
) -> None:
    signing, previous = tmp_path / "signing-key.pem", tmp_path / "previous-key.pem"
    openssl("genpkey", "-algorithm", "ed25519", "-out", str(signing))
    openssl("pkey", "-in", str(signing), "-pubout", "-out", str(previous))
    kid = TokenSigner.from_pem(signing.read_bytes(), issuer="i", audience="a").kid

    async with start_gateway(signing_key_file=signing, previous_key_files=[previous]) as (
        app,
        http,
    ):
        published = (await http.get("/.well-known/jwks.json")).json()
        in_bucket = json.loads((await (await js.key_value(KEYS_BUCKET)).get(JWKS_KEY)).value)
        token = app.state.signer.issue(subject="c", scopes=["enrollment:read"], jurisdiction=["15"])
        called = await http.get("/enrollment/v1/items/1", headers=auth(token))
    assert [k["kid"] for k in published["keys"]] == [kid]
    assert in_bucket == published
    assert called.status_code == 200
