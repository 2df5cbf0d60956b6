"""One large value sealed as one (fieldcrypt.encrypt_bytes): a blob such as a roster snapshot
costs one AES-GCM / SM4-GCM operation, keeps its key id, and opens only for its own column."""

from collections.abc import Iterator

import pytest

from junheng_kit import fieldcrypt
from junheng_kit.testing.plugin import use_crypto_profile

BLOB = bytes(range(256)) * 1000 + b"enc:1:aes256gcm:k1:"  # colons and every byte in the body
COLUMN = "test.snapshot.payload"


@pytest.fixture(autouse=True)
def keys() -> Iterator[None]:
    fieldcrypt.configure(fieldcrypt.new_key("k1"), fieldcrypt.new_index_key())
    yield
    fieldcrypt.configure(*fieldcrypt.dev_field_keys())


def test_a_blob_round_trips_under_its_key_id_and_is_not_stored_plain() -> None:
    sealed = fieldcrypt.encrypt_bytes(BLOB, COLUMN)
    assert sealed.startswith(b"enc:1:aes256gcm:k1:")
    assert bytes(range(256)) not in sealed
    assert len(sealed) == len(BLOB) + len(b"enc:1:aes256gcm:k1:") + 12 + 16  # nonce, tag
    assert fieldcrypt.decrypt_bytes(sealed, COLUMN) == BLOB
    assert fieldcrypt.is_current_bytes(sealed)


def test_a_blob_moved_altered_or_under_an_absent_key_does_not_open() -> None:
    sealed = fieldcrypt.encrypt_bytes(BLOB, COLUMN)
    with pytest.raises(fieldcrypt.FieldUnreadable, match="altered or moved"):
        fieldcrypt.decrypt_bytes(sealed, "test.other.payload")
    with pytest.raises(fieldcrypt.FieldUnreadable, match="altered or moved"):
        fieldcrypt.decrypt_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]), COLUMN)
    with pytest.raises(fieldcrypt.FieldUnreadable, match="not an encrypted value"):
        fieldcrypt.decrypt_bytes(BLOB, COLUMN)
    fieldcrypt.configure(fieldcrypt.new_key("k2"), fieldcrypt.new_index_key())
    assert not fieldcrypt.is_current_bytes(sealed)
    with pytest.raises(fieldcrypt.FieldUnreadable, match="key k1 is not in the keyring"):
        fieldcrypt.decrypt_bytes(sealed, COLUMN)


def test_under_the_guomi_profile_a_blob_is_sealed_with_sm4() -> None:
    with use_crypto_profile("guomi"):
        fieldcrypt.configure(fieldcrypt.new_key("g1"), fieldcrypt.new_index_key())
        sealed = fieldcrypt.encrypt_bytes(BLOB, COLUMN)
        assert sealed.startswith(b"enc:1:sm4gcm:g1:")
        assert fieldcrypt.decrypt_bytes(sealed, COLUMN) == BLOB
