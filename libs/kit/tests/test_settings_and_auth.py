"""Settings refuse dev secrets outside dev; tokens are checked strictly; jurisdictions nest."""

import base64
import json
from pathlib import Path
from typing import ClassVar

import jwt
import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from junheng_kit import fieldcrypt
from junheng_kit.auth import Jurisdiction, TokenVerifier
from junheng_kit.identifiers import student_key
from junheng_kit.logs import mask_address, mask_citizen_id, mask_coordinate, mask_phone
from junheng_kit.problems import Unauthorized
from junheng_kit.settings import DEV_ONLY, ServiceSettings
from junheng_kit.tokens import TokenSigner


class TestSettings:
    def test_the_dev_default_secret_is_refused_outside_dev(self) -> None:
        with pytest.raises(
            ValidationError, match="dev default outside JUNHENG_ENV=dev: secret_key, pseudonym_key"
        ):
            ServiceSettings(environment="prod")

    def test_field_encryption_needs_both_keys_and_a_known_profile(self) -> None:
        with pytest.raises(ValidationError, match=r"needs both \w*FIELD_KEYS and"):
            ServiceSettings(environment="dev", field_keys=SecretStr("k1=" + "A" * 44))
        with pytest.raises(ValidationError, match="crypto_profile"):
            ServiceSettings(environment="dev", crypto_profile="sm9")
        with pytest.raises(ValidationError, match="set JUNHENG_CRYPTO_PROFILE"):
            ServiceSettings(environment="dev", crypto_profile="guomi")  # the process runs intl.

    def test_a_service_that_encrypts_fields_needs_its_keys_outside_dev(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        class Encrypting(ServiceSettings):
            model_config = SettingsConfigDict(env_prefix="ENCRYPTING_")
            service_name: str = "encrypting"
            encrypts_fields: ClassVar[bool] = True

        secrets = {"secret_key": SecretStr("s"), "pseudonym_key": SecretStr("p")}
        with pytest.raises(ValidationError, match="set ENCRYPTING_FIELD_KEYS and ENCRYPTING_BLIND"):
            Encrypting(environment="test", **secrets)
        dev = Encrypting(environment="dev")  # the fixed dev-only keys, usable at once
        assert dev.field_keys is not None
        assert dev.blind_index_key is not None
        assert (dev.field_keys.get_secret_value(), dev.blind_index_key.get_secret_value()) == (
            fieldcrypt.dev_field_keys()
        )
        keys = fieldcrypt.new_key("k1")
        monkeypatch.setenv("ENCRYPTING_FIELD_KEYS", keys)
        monkeypatch.setenv("ENCRYPTING_BLIND_INDEX_KEY", fieldcrypt.new_index_key())
        own = Encrypting(environment="prod", **secrets)
        assert own.field_keys is not None
        assert own.field_keys.get_secret_value() == keys
        assert ServiceSettings(environment="dev").field_keys is None  # a service without any

    def test_the_dev_default_secret_is_accepted_in_dev(self) -> None:
        assert ServiceSettings(environment="dev").secret_key.get_secret_value() == DEV_ONLY

    def test_a_real_secret_is_accepted_in_prod(self) -> None:
        settings = ServiceSettings(
            environment="prod",
            secret_key=SecretStr("s3cret-from-vault"),
            pseudonym_key=SecretStr("shared-pseudonym-key"),
        )
        assert settings.environment == "prod"

    def test_in_production_nats_needs_an_identity_tls_and_a_trust_root(
        self, tmp_path: Path
    ) -> None:
        secrets = {
            "environment": "prod",
            "secret_key": SecretStr("s3cret-from-vault"),
            "pseudonym_key": SecretStr("shared-pseudonym-key"),
            "nats_url": "tls://nats-0:4222,tls://nats-1:4222",
        }
        seed, ca, root = tmp_path / "enrollment.nk", tmp_path / "ca.pem", "cm9vdA"
        with pytest.raises(ValidationError, match="a NATS identity is required in production"):
            ServiceSettings(**secrets)
        with pytest.raises(ValidationError, match="set JUNHENG_TRUST_ROOT_KEYS"):
            ServiceSettings(**secrets, nats_nkey_seed_file=seed)
        with pytest.raises(ValidationError, match="NATS without TLS in production"):
            ServiceSettings(**secrets, nats_nkey_seed_file=seed, trust_root_keys=root)
        plain = ServiceSettings(
            **secrets, nats_nkey_seed_file=seed, trust_root_keys=root, nats_allow_plaintext=True
        )
        assert plain.nats_ca_file is None
        settings = ServiceSettings(
            **secrets, nats_nkey_seed_file=seed, trust_root_keys=root, nats_ca_file=ca
        )
        assert settings.nats_servers == ["tls://nats-0:4222", "tls://nats-1:4222"]
        # dev and test processes may use a plain, open nats-server (make test's own)
        assert ServiceSettings(environment="dev", nats_url="nats://127.0.0.1:4222").nats_servers

    def test_the_pseudonym_key_is_one_env_name_for_every_service(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JUNHENG_PSEUDONYM_KEY", "from-env")
        assert ServiceSettings(environment="dev").pseudonym_key.get_secret_value() == "from-env"

    def test_student_keys_are_stable_keyed_pseudonyms(self) -> None:
        one = student_key(b"k1", "11010520190101001X")
        assert one == student_key(b"k1", "11010520190101001X")
        assert len(one) == 32
        assert set(one) <= set("0123456789abcdef")
        assert one != student_key(b"k2", "11010520190101001X")
        assert one != student_key(b"k1", "110105201901010028")
        assert "11010520190101001X" not in one


class TestJurisdiction:
    def test_a_code_covers_every_code_it_prefixes(self) -> None:
        ordos = Jurisdiction(("1506",))
        assert ordos.covers_code("150602")
        assert ordos.covers_code("150621")
        assert not ordos.covers_code("150102")

    def test_an_empty_jurisdiction_covers_nothing(self) -> None:
        assert not Jurisdiction(()).covers_code("150602")


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner.generate(issuer="junheng-gateway", audience="junheng")


@pytest.fixture
def verifier(signer: TokenSigner) -> TokenVerifier:
    return TokenVerifier(issuer="junheng-gateway", audience="junheng", static_jwks=signer.jwks())


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class TestTokenVerifier:
    async def test_a_good_token_gives_the_principal(
        self, signer: TokenSigner, verifier: TokenVerifier
    ) -> None:
        token = signer.issue(subject="c-1", scopes=["enrollment:read"], jurisdiction=["150602"])
        principal = await verifier.verify(token)
        assert principal.client_id == "c-1"
        assert principal.scopes == frozenset({"enrollment:read"})
        assert principal.jurisdiction == Jurisdiction(("150602",))

    async def test_alg_none_is_refused(self, signer: TokenSigner, verifier: TokenVerifier) -> None:
        claims = jwt.decode(
            signer.issue(subject="c-1", scopes=["enrollment:read"], jurisdiction=["15"]),
            options={"verify_signature": False},
        )
        unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': signer.kid})}.{_b64(claims)}."
        with pytest.raises(Unauthorized) as raised:
            await verifier.verify(unsigned)
        assert raised.value.errors[0].rule == "token_invalid"

    async def test_a_token_signed_by_another_key_is_refused(self, verifier: TokenVerifier) -> None:
        other = TokenSigner.generate(issuer="junheng-gateway", audience="junheng")
        token = other.issue(subject="c-1", scopes=["enrollment:read"], jurisdiction=["15"])
        with pytest.raises(Unauthorized, match="unknown key"):
            await verifier.verify(token)

    async def test_an_expired_token_is_refused(
        self, signer: TokenSigner, verifier: TokenVerifier
    ) -> None:
        token = signer.issue(
            subject="c-1",
            scopes=["enrollment:read"],
            jurisdiction=["15"],
            ttl_seconds=1,
            now=1_000_000_000,
        )
        with pytest.raises(Unauthorized) as raised:
            await verifier.verify(token)
        assert raised.value.errors[0].rule == "token_expired"

    async def test_a_token_for_another_audience_is_refused(self, signer: TokenSigner) -> None:
        verifier = TokenVerifier(
            issuer="junheng-gateway", audience="elsewhere", static_jwks=signer.jwks()
        )
        token = signer.issue(subject="c-1", scopes=["enrollment:read"], jurisdiction=["15"])
        with pytest.raises(Unauthorized, match=r"Audience doesn't match"):
            await verifier.verify(token)


def test_citizen_ids_are_masked_to_region_and_last_four() -> None:
    assert mask_citizen_id("220822201308310034") == "220822********0034"


def test_phones_addresses_and_coordinates_are_masked() -> None:
    assert mask_phone("13912345678") == "139****5678"
    assert mask_address("东胜区天骄路12号") == "东胜区****"
    assert mask_address("") == ""
    assert mask_coordinate(109.98765) == 109.99


class TestDeclaredScopes:
    def test_an_operation_declares_the_scopes_it_requires_in_openapi(self) -> None:
        """The gateway's merged document takes each operation's scopes from here; without
        them it guessed from the method, wrong for reads by POST (zone previews, what-ifs)."""
        from typing import Annotated

        from fastapi import Depends, FastAPI

        from junheng_kit.auth import Principal, require_scopes

        app = FastAPI()

        @app.post("/v1/previews")
        async def preview(
            _: Annotated[Principal, Depends(require_scopes("x:read", "x:pii"))],
        ) -> None:
            return None

        operation = app.openapi()["paths"]["/v1/previews"]["post"]
        assert operation["security"] == [{"OAuth2": ["x:read", "x:pii"]}]


class TestLoadSettings:
    def test_a_dev_default_outside_dev_stops_the_process_with_one_line(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from junheng_kit.settings import load_settings

        monkeypatch.setenv("JUNHENG_ENV", "prod")
        monkeypatch.delenv("JUNHENG_PSEUDONYM_KEY", raising=False)
        with pytest.raises(SystemExit) as stopped:
            load_settings(ServiceSettings)
        assert stopped.value.code == 2
        assert capsys.readouterr().err == (
            "service refuses to start: dev default outside JUNHENG_ENV=dev: secret_key, "
            "pseudonym_key (set SECRET_KEY, JUNHENG_PSEUDONYM_KEY)\n"
        )

    def test_an_unknown_environment_is_named(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from junheng_kit.settings import load_settings

        monkeypatch.setenv("JUNHENG_ENV", "production")
        with pytest.raises(SystemExit):
            load_settings(ServiceSettings)
        assert capsys.readouterr().err.startswith(
            "service refuses to start: JUNHENG_ENV: Input should be 'dev', 'test' or 'prod'"
        )
