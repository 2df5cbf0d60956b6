"""`make run` and `make cluster` give each service that encrypts fields its own keys, made once
under var/field-keys/ (owner-only files, mounted as a secret would be), kept across restarts, and
rotated to the other profile's key size when the deployment changes profile."""

import stat
from pathlib import Path

from junheng_devtools.system import ENCRYPTING, System

from junheng_kit import fieldcrypt
from junheng_kit.testing.plugin import use_crypto_profile


def ring_of(env: dict[str, str], name: str) -> fieldcrypt.Keyring:
    prefix = name.upper()
    return fieldcrypt.configure(env[f"{prefix}_FIELD_KEYS"], env[f"{prefix}_BLIND_INDEX_KEY"])


def test_each_encrypting_service_has_its_own_keys_kept_across_restarts(tmp_path: Path) -> None:
    system = System(var=tmp_path)
    envs = {name: system.field_key_env(name) for name in ENCRYPTING}
    rings = {name: ring_of(envs[name], name) for name in ENCRYPTING}
    assert len({ring.keys[ring.current] for ring in rings.values()}) == len(ENCRYPTING)
    assert len({ring.index_key for ring in rings.values()}) == len(ENCRYPTING)
    for name in ENCRYPTING:
        for path in (tmp_path / "field-keys").glob(f"{name}.*"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = System(var=tmp_path).field_key_env("enrollment")  # a restart: the same keys
    assert ring_of(again, "enrollment").keys == rings["enrollment"].keys


def test_a_profile_change_puts_a_key_of_the_new_size_first_and_keeps_the_old(
    tmp_path: Path,
) -> None:
    system = System(var=tmp_path)
    old = ring_of(system.field_key_env("assistance"), "assistance")
    stored = fieldcrypt.encrypt("15060220190101123X", "assistance.student.citizen_id", old)
    with use_crypto_profile("guomi"):
        ring = ring_of(system.field_key_env("assistance"), "assistance")
        assert ring.current == "k2"
        assert len(ring.keys["k2"]) == 16  # SM4
        assert ring.keys["k1"] == old.keys["k1"]  # values under the old key still open
        assert fieldcrypt.decrypt(stored, "assistance.student.citizen_id", ring) == (
            "15060220190101123X"
        )
