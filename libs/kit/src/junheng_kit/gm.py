"""商用密码 (国密) primitives: SM2 signatures, SM3 hashing and HMAC, SM4-GCM.

SM3 and SM4 come from `cryptography` (its OpenSSL exposes both: `hashes.SM3`, `algorithms.SM4`
in GCM mode). `cryptography` has no SM2, and the pure-Python SM2 libraries are slow (gmssl 3.2:
~14 ms to sign and ~22 ms to verify on this machine, against ~0.4 / 0.5 ms for OpenSSL), so SM2
is called in the system's OpenSSL 3 libcrypto (`libcrypto.so.3`, EVP_PKEY "SM2") through ctypes:
the same library the operating system's own tools use, no compiled code of ours. Where that
library lacks SM2 (some distributions build it out), `sm2_available()` is False and the 国密
profile refuses to start, naming the reason.

Signatures follow GB/T 32918.2 with SM3 and the default distinguishing identifier
`1234567812345678` (GM/T 0009), set explicitly so every OpenSSL version agrees; on the wire a
signature is r‖s (64 bytes, as JWS ES256 carries ECDSA), converted to and from OpenSSL's DER.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SM2_ID = b"1234567812345678"  # GM/T 0009 default user identity
# SubjectPublicKeyInfo of an SM2 key, up to the point: id-ecPublicKey with curve sm2p256v1
SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
SM4_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES = 16, 12, 16

_P = ctypes.c_void_p
_UCHARP = ctypes.POINTER(ctypes.c_ubyte)
_SIZEP = ctypes.POINTER(ctypes.c_size_t)


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC (RFC 2104) with SM3, 32 bytes."""
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, associated: bytes = b"") -> bytes:
    """nonce (12) ‖ ciphertext ‖ tag (16); a fresh random nonce per value."""
    nonce = os.urandom(GCM_NONCE_BYTES)
    return nonce + sm4_gcm_seal(key, nonce, plaintext, associated)


def sm4_gcm_decrypt(key: bytes, sealed: bytes, associated: bytes = b"") -> bytes:
    """The plaintext of `sm4_gcm_encrypt`'s output; InvalidTag when anything was altered."""
    nonce, body = sealed[:GCM_NONCE_BYTES], sealed[GCM_NONCE_BYTES:]
    return sm4_gcm_open(key, nonce, body, associated)


def sm4_gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, associated: bytes = b"") -> bytes:
    """ciphertext ‖ tag under an explicit nonce (RFC 8998's SM4-GCM)."""
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def sm4_gcm_open(key: bytes, nonce: bytes, sealed: bytes, associated: bytes = b"") -> bytes:
    body, tag = sealed[:-GCM_TAG_BYTES], sealed[-GCM_TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(associated)
    return decryptor.update(body) + decryptor.finalize()


# --- SM2 through libcrypto ---------------------------------------------------------------------


class Sm2Unavailable(RuntimeError):
    """The system's libcrypto has no SM2 (or is not OpenSSL 3)."""


@cache
def _lib() -> Any:
    name = ctypes.util.find_library("crypto")
    if name is None:
        raise Sm2Unavailable("no libcrypto on this system (install OpenSSL 3: libssl3)")
    lib = ctypes.CDLL(name)
    signatures: dict[str, tuple[Any, list[Any]]] = {
        "EVP_PKEY_CTX_new_from_name": (_P, [_P, ctypes.c_char_p, ctypes.c_char_p]),
        "EVP_PKEY_CTX_free": (None, [_P]),
        "EVP_PKEY_keygen_init": (ctypes.c_int, [_P]),
        "EVP_PKEY_generate": (ctypes.c_int, [_P, ctypes.POINTER(_P)]),
        "EVP_PKEY_free": (None, [_P]),
        "EVP_PKEY_get_bn_param": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.POINTER(_P)]),
        "BN_bn2binpad": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int]),
        "BN_free": (None, [_P]),
        "i2d_PUBKEY": (ctypes.c_int, [_P, ctypes.POINTER(_UCHARP)]),
        "d2i_PUBKEY": (_P, [ctypes.POINTER(_P), ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]),
        "i2d_PrivateKey": (ctypes.c_int, [_P, ctypes.POINTER(_UCHARP)]),
        "d2i_AutoPrivateKey": (
            _P,
            [ctypes.POINTER(_P), ctypes.POINTER(ctypes.c_char_p), ctypes.c_long],
        ),
        "EVP_MD_CTX_new": (_P, []),
        "EVP_MD_CTX_free": (None, [_P]),
        "EVP_MD_CTX_set_pkey_ctx": (None, [_P, _P]),
        "EVP_PKEY_CTX_new": (_P, [_P, _P]),
        "EVP_PKEY_CTX_set1_id": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_int]),
        "EVP_sm3": (_P, []),
        "EVP_DigestSignInit": (ctypes.c_int, [_P, ctypes.POINTER(_P), _P, _P, _P]),
        "EVP_DigestSign": (
            ctypes.c_int,
            [
                _P,
                ctypes.c_char_p,
                ctypes.POINTER(ctypes.c_size_t),
                ctypes.c_char_p,
                ctypes.c_size_t,
            ],
        ),
        "EVP_DigestVerifyInit": (ctypes.c_int, [_P, ctypes.POINTER(_P), _P, _P, _P]),
        "EVP_DigestVerify": (
            ctypes.c_int,
            [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t],
        ),
        "ERR_clear_error": (None, []),
        "BIO_s_mem": (_P, []),
        "BIO_new": (_P, [_P]),
        "BIO_new_mem_buf": (_P, [ctypes.c_char_p, ctypes.c_int]),
        "BIO_ctrl": (ctypes.c_long, [_P, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]),
        "BIO_free": (ctypes.c_int, [_P]),
        "PEM_write_bio_PrivateKey": (ctypes.c_int, [_P, _P, _P, _P, ctypes.c_int, _P, _P]),
        "PEM_write_bio_PUBKEY": (ctypes.c_int, [_P, _P]),
        "PEM_read_bio_PrivateKey": (_P, [_P, _P, _P, _P]),
        "PEM_read_bio_PUBKEY": (_P, [_P, _P, _P, _P]),
        "EVP_PKEY_is_a": (ctypes.c_int, [_P, ctypes.c_char_p]),
    }
    try:
        for function, (restype, argtypes) in signatures.items():
            getattr(lib, function).restype = restype
            getattr(lib, function).argtypes = argtypes
    except AttributeError as missing:
        raise Sm2Unavailable(f"libcrypto is not OpenSSL 3: {missing}") from missing
    return lib


def sm2_available() -> str | None:
    """None when SM2 works here; else why not."""
    try:
        key = Sm2PrivateKey.generate()
        if not key.public_key().verify(key.sign(b"probe"), b"probe"):
            return "libcrypto's SM2 does not verify its own signature"
    except Sm2Unavailable as reason:
        return str(reason)
    return None


class _Pkey:
    """An EVP_PKEY owned by this object (freed with it)."""

    def __init__(self, handle: int | None) -> None:
        if not handle:
            raise Sm2Unavailable("libcrypto made no SM2 key (is SM2 built in?)")
        self._handle = handle

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            _lib().EVP_PKEY_free(handle)


def _der(function: Any, handle: int) -> bytes:
    size = function(handle, None)
    if size <= 0:
        raise ValueError("libcrypto could not encode the key")
    buffer = (ctypes.c_ubyte * size)()
    cursor = ctypes.cast(buffer, _UCHARP)
    function(handle, ctypes.byref(cursor))
    return bytes(buffer)


BIO_CTRL_INFO = 3


def _pem_out(write: Any, handle: int, *extra: Any) -> bytes:
    lib = _lib()
    bio = lib.BIO_new(lib.BIO_s_mem())
    try:
        if write(bio, handle, *extra) != 1:
            raise ValueError("libcrypto could not write the key")
        data = ctypes.c_char_p()
        size = lib.BIO_ctrl(bio, BIO_CTRL_INFO, 0, ctypes.byref(data))
        return ctypes.string_at(data, size)
    finally:
        lib.BIO_free(bio)


def _pem_in(read: Any, pem: bytes) -> int:
    """An SM2 EVP_PKEY read from PEM; ValueError when it is not one."""
    lib = _lib()
    bio = lib.BIO_new_mem_buf(pem, len(pem))
    try:
        handle = read(bio, None, None, None)
    finally:
        lib.BIO_free(bio)
        lib.ERR_clear_error()
    if not handle:
        raise ValueError("not a PEM key libcrypto reads")
    if lib.EVP_PKEY_is_a(handle, b"SM2") != 1:
        lib.EVP_PKEY_free(handle)
        raise ValueError("not an SM2 key")
    return int(handle)


def _ctx(lib: Any, key: _Pkey) -> tuple[Any, Any]:
    """A digest context whose key context carries the SM2 identity."""
    pkey_ctx = lib.EVP_PKEY_CTX_new(key._handle, None)
    if not pkey_ctx or lib.EVP_PKEY_CTX_set1_id(pkey_ctx, SM2_ID, len(SM2_ID)) != 1:
        lib.EVP_PKEY_CTX_free(pkey_ctx)
        raise Sm2Unavailable("libcrypto refused the SM2 identity")
    md_ctx = lib.EVP_MD_CTX_new()
    lib.EVP_MD_CTX_set_pkey_ctx(md_ctx, pkey_ctx)
    return md_ctx, pkey_ctx


class Sm2PublicKey(_Pkey):
    @classmethod
    def from_point(cls, point: bytes) -> Sm2PublicKey:
        """From x ‖ y (64 bytes) or the uncompressed 04 ‖ x ‖ y (65)."""
        if len(point) == 64:
            point = b"\x04" + point
        if len(point) != 65 or point[0] != 4:
            raise ValueError("an SM2 public key is 04 ‖ x ‖ y (65 bytes)")
        der = SPKI_PREFIX + point
        data = ctypes.c_char_p(der)
        handle = _lib().d2i_PUBKEY(None, ctypes.byref(data), len(der))
        if not handle:
            _lib().ERR_clear_error()
            raise ValueError("not a point of the SM2 curve")
        return cls(handle)

    @classmethod
    def from_pem(cls, pem: bytes) -> Sm2PublicKey:
        """From a PEM public key (`openssl pkey -pubout`)."""
        return cls(_pem_in(_lib().PEM_read_bio_PUBKEY, pem))

    def to_pem(self) -> bytes:
        return _pem_out(_lib().PEM_write_bio_PUBKEY, self._handle)

    def point(self) -> bytes:
        """x ‖ y, 64 bytes."""
        der = _der(_lib().i2d_PUBKEY, self._handle)
        return der[len(SPKI_PREFIX) + 1 :]

    def verify(self, signature: bytes, data: bytes) -> bool:
        """A 64-byte r ‖ s SM2-with-SM3 signature of `data` by this key."""
        if len(signature) != 64:
            return False
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        lib = _lib()
        md_ctx, pkey_ctx = _ctx(lib, self)
        try:
            if lib.EVP_DigestVerifyInit(md_ctx, None, lib.EVP_sm3(), None, self._handle) != 1:
                raise Sm2Unavailable("libcrypto refused SM2 verification")
            verified = bool(lib.EVP_DigestVerify(md_ctx, der, len(der), data, len(data)) == 1)
        finally:
            lib.EVP_MD_CTX_free(md_ctx)
            lib.EVP_PKEY_CTX_free(pkey_ctx)
            lib.ERR_clear_error()
        return verified


class Sm2PrivateKey(_Pkey):
    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        lib = _lib()
        ctx = lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
        if not ctx:
            raise Sm2Unavailable("this libcrypto has no SM2")
        try:
            handle = _P()
            if lib.EVP_PKEY_keygen_init(ctx) != 1 or lib.EVP_PKEY_generate(ctx, handle) != 1:
                raise Sm2Unavailable("this libcrypto could not make an SM2 key")
        finally:
            lib.EVP_PKEY_CTX_free(ctx)
        return cls(handle.value)

    @classmethod
    def from_der(cls, der: bytes) -> Sm2PrivateKey:
        """From the DER `to_der` wrote."""
        data = ctypes.c_char_p(der)
        handle = _lib().d2i_AutoPrivateKey(None, ctypes.byref(data), len(der))
        if not handle:
            _lib().ERR_clear_error()
            raise ValueError("not an SM2 private key")
        return cls(handle)

    @classmethod
    def from_pem(cls, pem: bytes) -> Sm2PrivateKey:
        """From a PEM private key (PKCS #8, as `openssl genpkey -algorithm SM2` writes)."""
        return cls(_pem_in(_lib().PEM_read_bio_PrivateKey, pem))

    def to_pem(self) -> bytes:
        """PKCS #8 PEM, unencrypted (keep it secret: a file of mode 0600)."""
        return _pem_out(_lib().PEM_write_bio_PrivateKey, self._handle, None, None, 0, None, None)

    def to_der(self) -> bytes:
        """The private key as DER (keep it secret: a file of mode 0600)."""
        return _der(_lib().i2d_PrivateKey, self._handle)

    def scalar(self) -> bytes:
        """The private scalar d, 32 bytes (for interoperability tests)."""
        lib = _lib()
        bn = _P()
        if lib.EVP_PKEY_get_bn_param(self._handle, b"priv", ctypes.byref(bn)) != 1:
            raise Sm2Unavailable("libcrypto did not give the private scalar")
        try:
            out = ctypes.create_string_buffer(32)
            lib.BN_bn2binpad(bn, out, 32)
            return out.raw
        finally:
            lib.BN_free(bn)

    def public_key(self) -> Sm2PublicKey:
        der = _der(_lib().i2d_PUBKEY, self._handle)
        return Sm2PublicKey.from_point(der[len(SPKI_PREFIX) :])

    def sign(self, data: bytes) -> bytes:
        """SM2-with-SM3 signature of `data`: r ‖ s, 64 bytes."""
        lib = _lib()
        md_ctx, pkey_ctx = _ctx(lib, self)
        try:
            if lib.EVP_DigestSignInit(md_ctx, None, lib.EVP_sm3(), None, self._handle) != 1:
                raise Sm2Unavailable("libcrypto refused SM2 signing")
            size = ctypes.c_size_t(0)
            lib.EVP_DigestSign(md_ctx, None, ctypes.byref(size), data, len(data))
            out = ctypes.create_string_buffer(size.value)
            if lib.EVP_DigestSign(md_ctx, out, ctypes.byref(size), data, len(data)) != 1:
                raise Sm2Unavailable("libcrypto failed to sign")
        finally:
            lib.EVP_MD_CTX_free(md_ctx)
            lib.EVP_PKEY_CTX_free(pkey_ctx)
        r, s = decode_dss_signature(out.raw[: size.value])
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
