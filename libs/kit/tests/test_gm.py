"""国密 primitives (junheng_kit.gm) against the standards' own examples and an independent
implementation (gmssl, pure Python): SM3 (GB/T 32905 appendix A), SM4-GCM (RFC 8998 appendix
A.1), HMAC-SM3 built by hand from RFC 2104, SM2 signatures verified both ways."""

import pytest
from cryptography.exceptions import InvalidTag
from gmssl import sm2 as gmssl_sm2

from junheng_kit import gm


class TestSm3:
    def test_the_standards_examples(self) -> None:
        """GB/T 32905-2016 appendix A: "abc" and "abcd" × 16."""
        assert gm.sm3(b"abc").hex() == (
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        )
        assert gm.sm3(b"abcd" * 16).hex() == (
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        )

    def test_hmac_is_rfc_2104_over_sm3(self) -> None:
        key, data = b"a county's blind-index key", b"110101200001011234"
        block = key.ljust(64, b"\0")
        inner = gm.sm3(bytes(b ^ 0x36 for b in block) + data)
        by_hand = gm.sm3(bytes(b ^ 0x5C for b in block) + inner)
        assert gm.hmac_sm3(key, data) == by_hand
        assert gm.hmac_sm3(key, data) != gm.hmac_sm3(key + b"!", data)


class TestSm4Gcm:
    KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    NONCE = bytes.fromhex("00001234567800000000ABCD")
    AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    PLAIN = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )

    def test_rfc_8998_example(self) -> None:
        sealed = gm.sm4_gcm_seal(self.KEY, self.NONCE, self.PLAIN, self.AAD)
        assert sealed[:-16].hex().upper() == (
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
            "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        )
        assert sealed[-16:].hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"
        assert gm.sm4_gcm_open(self.KEY, self.NONCE, sealed, self.AAD) == self.PLAIN

    def test_a_fresh_nonce_per_value_and_any_change_is_refused(self) -> None:
        name = "张三".encode()
        first = gm.sm4_gcm_encrypt(self.KEY, name, b"student:1")
        assert first != gm.sm4_gcm_encrypt(self.KEY, name, b"student:1")
        assert gm.sm4_gcm_decrypt(self.KEY, first, b"student:1") == "张三".encode()
        tampered = first[:-1] + bytes([first[-1] ^ 1])
        with pytest.raises(InvalidTag):
            gm.sm4_gcm_decrypt(self.KEY, tampered, b"student:1")
        with pytest.raises(InvalidTag):  # the value moved onto another record
            gm.sm4_gcm_decrypt(self.KEY, first, b"student:2")


class TestSm2:
    def test_sign_and_verify(self) -> None:
        key = gm.Sm2PrivateKey.generate()
        signature = key.sign(b"token body")
        assert len(signature) == 64
        assert key.public_key().verify(signature, b"token body")
        assert not key.public_key().verify(signature, b"token bodY")
        assert not gm.Sm2PrivateKey.generate().public_key().verify(signature, b"token body")
        assert not key.public_key().verify(signature[:-1], b"token body")

    def test_an_independent_implementation_agrees_both_ways(self) -> None:
        """gmssl (pure Python, GB/T 32918 with the default identity 1234567812345678) verifies
        our signatures, and we verify its."""
        key = gm.Sm2PrivateKey.generate()
        theirs = gmssl_sm2.CryptSM2(
            public_key=key.public_key().point().hex(), private_key=key.scalar().hex()
        )
        ours = key.sign("录取通知".encode())
        assert theirs.verify_with_sm3(ours.hex(), "录取通知".encode())
        signed_by_them = bytes.fromhex(theirs.sign_with_sm3(b"agency assertion"))
        assert key.public_key().verify(signed_by_them, b"agency assertion")

    def test_keys_survive_der_and_points(self) -> None:
        key = gm.Sm2PrivateKey.generate()
        again = gm.Sm2PrivateKey.from_der(key.to_der())
        assert again.public_key().point() == key.public_key().point()
        public = gm.Sm2PublicKey.from_point(key.public_key().point())
        assert public.verify(again.sign(b"x"), b"x")
        with pytest.raises(ValueError, match="curve"):
            gm.Sm2PublicKey.from_point(b"\x04" + b"\x01" * 64)
        with pytest.raises(ValueError, match="65 bytes"):
            gm.Sm2PublicKey.from_point(b"\x01" * 10)


def test_sm2_is_available_on_the_machines_we_run_on() -> None:
    """Debian's OpenSSL 3 has SM2: CI and the containers run the 国密 profile's tests."""
    assert gm.sm2_available() is None
