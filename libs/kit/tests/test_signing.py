"""The agency exchange's signatures: canonical JSON, Ed25519 (SM2 under the 国密 profile) over
bytes, key ids, key files — every signature and key test runs under both profiles."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from junheng_kit.gm import Sm2PrivateKey, sm3
from junheng_kit.signing import (
    Signer,
    b64url_decode,
    canonical_json,
    ensure_private_key,
    key_id,
    load_public_key,
    public_key_from_text,
    verify,
    verify_object,
)

ANSWER = {"assertion_id": "mca-1", "categories": [{"category": "dibao", "grade": None}], "名": "王"}


class TestCanonicalJson:
    def test_sorts_keys_drops_spaces_and_keeps_chinese_as_utf8(self) -> None:
        assert (
            canonical_json({"b": 1, "a": [1, 2], "名": "王"})
            == '{"a":[1,2],"b":1,"名":"王"}'.encode()
        )

    def test_field_order_does_not_change_the_bytes(self) -> None:
        assert canonical_json({"x": 1, "y": {"b": 2, "a": 1}}) == canonical_json(
            {"y": {"a": 1, "b": 2}, "x": 1}
        )


@pytest.mark.usefixtures("crypto_profile")
class TestSignatures:
    def test_a_signed_object_verifies_with_the_signers_public_key(self) -> None:
        signer = Signer.generate()
        assert verify_object(signer.public_key, ANSWER, signer.sign_object(ANSWER)) is True

    def test_one_tampered_byte_is_refused(self) -> None:
        signer = Signer.generate()
        body = canonical_json(ANSWER)
        signature = signer.sign(body)
        tampered = body.replace(b"mca-1", b"mca-2")
        assert (
            verify(signer.public_key, body, signature),
            verify(signer.public_key, tampered, signature),
        ) == (
            True,
            False,
        )

    def test_another_keys_signature_is_refused(self) -> None:
        signer, other = Signer.generate(), Signer.generate()
        assert verify_object(signer.public_key, ANSWER, other.sign_object(ANSWER)) is False

    def test_a_malformed_signature_is_refused_not_raised(self) -> None:
        signer = Signer.generate()
        assert verify_object(signer.public_key, ANSWER, "not*base64") is False

    def test_signatures_are_64_bytes_of_unpadded_base64url(self) -> None:
        signature = Signer.generate().sign(b"x")
        assert ("=" in signature, len(b64url_decode(signature))) == (False, 64)


@pytest.mark.usefixtures("crypto_profile")
class TestKeys:
    def test_key_id_is_16_hex_of_the_profiles_hash_of_the_raw_public_key(
        self, crypto_profile: str
    ) -> None:
        signer = Signer.generate()
        raw = b64url_decode(signer.public_key_text)
        if crypto_profile == "guomi":  # SM2: x ‖ y, hashed with SM3
            assert (len(raw), key_id(signer.public_key)) == (64, sm3(raw).hex()[:16])
        else:
            assert (len(raw), key_id(signer.public_key)) == (
                32,
                hashlib.sha256(raw).hexdigest()[:16],
            )

    def test_public_key_text_round_trips(self) -> None:
        signer = Signer.generate()
        assert key_id(public_key_from_text(signer.public_key_text)) == signer.key_id

    def test_ensure_private_key_generates_once_with_owner_only_mode(self, tmp_path: Path) -> None:
        path = tmp_path / "keys" / "bureau.pem"
        first, second = ensure_private_key(path), ensure_private_key(path)
        assert (first.key_id, os.stat(path).st_mode & 0o777) == (second.key_id, 0o600)

    def test_public_keys_load_from_private_pem_or_raw_text(self, tmp_path: Path) -> None:
        signer = ensure_private_key(tmp_path / "agency.pem")
        (tmp_path / "agency.pub").write_text(signer.public_key_text)
        assert {
            key_id(load_public_key(tmp_path / "agency.pem")),
            key_id(load_public_key(tmp_path / "agency.pub")),
        } == {signer.key_id}


def test_an_sm2_public_pem_as_openssl_writes_it_loads_under_guomi(tmp_path: Path) -> None:
    from junheng_kit.testing.plugin import use_crypto_profile

    key = Sm2PrivateKey.generate()
    (tmp_path / "agency.pub.pem").write_bytes(key.public_key().to_pem())
    with use_crypto_profile("guomi"):
        loaded = load_public_key(tmp_path / "agency.pub.pem")
        assert key_id(loaded) == key_id(key.public_key())
    with pytest.raises(ValueError, match="international profile"):
        load_public_key(tmp_path / "agency.pub.pem")
