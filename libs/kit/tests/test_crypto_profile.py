"""The cryptographic profile (junheng_kit.crypto_profile): what each profile uses, tokens under
国密, and the other profile's tokens and keys refused."""

import hashlib
import hmac

import jwt
import pytest
from cryptography.exceptions import InvalidTag

from junheng_kit import gm
from junheng_kit.auth import TokenVerifier
from junheng_kit.crypto_profile import GUOMI, INTERNATIONAL, ProfileUnavailable, named, profile
from junheng_kit.problems import Unauthorized
from junheng_kit.signing import Signer, public_key_from_text
from junheng_kit.testing.plugin import use_crypto_profile
from junheng_kit.tokens import TokenSigner

ISSUER, AUDIENCE = "junheng-gateway", "junheng"


def signer() -> TokenSigner:
    return TokenSigner.generate(issuer=ISSUER, audience=AUDIENCE)


def verifier_of(key: TokenSigner) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, static_jwks=key.jwks())


class TestProfiles:
    def test_international_is_the_default_and_names_are_checked(self) -> None:
        assert profile() is INTERNATIONAL
        assert named("guomi") is GUOMI
        with pytest.raises(ProfileUnavailable, match="international, guomi"):
            named("sm")

    def test_each_profile_hashes_macs_and_seals_with_its_own_algorithms(self) -> None:
        data, key16, key32 = b"110101200001011234", b"k" * 16, b"k" * 32
        assert INTERNATIONAL.digest(data) == hashlib.sha256(data).digest()
        assert GUOMI.digest(data) == gm.sm3(data)
        assert INTERNATIONAL.mac(key32, data) == hmac.digest(key32, data, "sha256")
        assert GUOMI.mac(key32, data) == gm.hmac_sm3(key32, data)
        for chosen, key in ((INTERNATIONAL, key32), (GUOMI, key16)):
            sealed = chosen.seal(key, data, b"row-1")
            assert chosen.open(key, sealed, b"row-1") == data
            with pytest.raises(InvalidTag):
                chosen.open(key, sealed, b"row-2")
        # an SM4-GCM value is not an AES-GCM one: the profiles do not read each other's
        with pytest.raises((InvalidTag, ValueError)):
            INTERNATIONAL.open(key16, GUOMI.seal(key16, data))


class TestTokensUnderGuomi:
    async def test_tokens_are_sm2_signed_with_an_sm2_jwk_and_verify(self) -> None:
        with use_crypto_profile("guomi"):
            key = signer()
            token = key.issue(subject="c-1", scopes=["enrollment:read"], jurisdiction=["1506"])
            header = jwt.get_unverified_header(token)
            assert (header["alg"], header["kid"]) == ("SM3withSM2", key.kid)
            assert {k: key.public_jwk[k] for k in ("kty", "crv", "alg")} == {
                "kty": "EC",
                "crv": "SM2",
                "alg": "SM3withSM2",
            }
            principal = await verifier_of(key).verify(token)
            assert (principal.client_id, principal.scopes) == (
                "c-1",
                frozenset({"enrollment:read"}),
            )
            forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
            with pytest.raises(Unauthorized):
                await verifier_of(key).verify(forged)

    async def test_an_ed25519_token_is_401_under_guomi_and_an_sm2_token_under_international(
        self,
    ) -> None:
        international = signer()
        with use_crypto_profile("guomi"):
            guomi = signer()
            ed_token = international.issue(subject="c", scopes=["x:read"], jurisdiction=["15"])
            with pytest.raises(Unauthorized, match="guomi profile signs with SM3withSM2"):
                await verifier_of(guomi).verify(ed_token)
            sm2_token = guomi.issue(subject="c", scopes=["x:read"], jurisdiction=["15"])
        with pytest.raises(Unauthorized, match="international profile signs with EdDSA"):
            await verifier_of(international).verify(sm2_token)

    def test_keys_of_the_other_profile_are_refused_naming_it(self) -> None:
        ed25519_text = Signer.generate().public_key_text
        with use_crypto_profile("guomi"):
            sm2_text = Signer.generate().public_key_text
            with pytest.raises(ValueError, match="Ed25519 key under the guomi profile"):
                public_key_from_text(ed25519_text)
            with pytest.raises(ValueError, match="Ed25519 key under the guomi profile"):
                TokenSigner.from_pem(signer_pem_international(), issuer=ISSUER, audience=AUDIENCE)
        with pytest.raises(ValueError, match="SM2 key under the international profile"):
            public_key_from_text(sm2_text)


def signer_pem_international() -> bytes:
    with use_crypto_profile("international"):
        return signer().private_pem()
