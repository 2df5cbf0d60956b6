"""SM2-SM3 as a JWS algorithm for PyJWT (`SM3withSM2`, the 国密 profile's tokens).

JOSE registers no identifier for SM2: `SM3withSM2` is the signature algorithm's name in GM/T
0006 and the Java providers. The signature is r ‖ s (64 bytes) as JWS carries ECDSA; the JWK is
`{"kty": "EC", "crv": "SM2", "x", "y"}` (base64url coordinates, 32 bytes each).
"""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import jwt
from jwt.algorithms import Algorithm
from jwt.exceptions import InvalidKeyError

from junheng_kit.gm import Sm2PrivateKey, Sm2PublicKey

SM2_ALGORITHM = "SM3withSM2"
ED25519_ALGORITHM = "EdDSA"


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sm2Jws(Algorithm):
    def prepare_key(self, key: Any) -> Any:
        if not isinstance(key, Sm2PrivateKey | Sm2PublicKey):
            raise InvalidKeyError(f"{SM2_ALGORITHM} signs with an SM2 key")
        return key

    def sign(self, msg: bytes, key: Any) -> bytes:
        if not isinstance(key, Sm2PrivateKey):
            raise InvalidKeyError("signing needs the SM2 private key")
        return key.sign(msg)

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        public = key.public_key() if isinstance(key, Sm2PrivateKey) else key
        return isinstance(public, Sm2PublicKey) and public.verify(sig, msg)

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        public = key_obj.public_key() if isinstance(key_obj, Sm2PrivateKey) else key_obj
        point = public.point()
        jwk = {
            "kty": "EC",
            "crv": "SM2",
            "x": base64.urlsafe_b64encode(point[:32]).decode().rstrip("="),
            "y": base64.urlsafe_b64encode(point[32:]).decode().rstrip("="),
        }
        return jwk if as_dict else json.dumps(jwk)

    @staticmethod
    def from_jwk(jwk: str | dict[str, Any]) -> Any:
        return sm2_public_key_of(json.loads(jwk) if isinstance(jwk, str) else jwk)


def sm2_public_key_of(jwk: dict[str, Any]) -> Sm2PublicKey:
    """The public key of an SM2 JWK; InvalidKeyError when it is not one."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "SM2":
        raise InvalidKeyError("not an SM2 JWK")
    try:
        point = _b64decode(str(jwk["x"])) + _b64decode(str(jwk["y"]))
        return Sm2PublicKey.from_point(point)
    except (KeyError, ValueError) as error:
        raise InvalidKeyError(f"not an SM2 public key: {error}") from error


def jws_algorithm(key: Any) -> str:
    """The JWS `alg` a key signs with."""
    return SM2_ALGORITHM if isinstance(key, Sm2PrivateKey | Sm2PublicKey) else ED25519_ALGORITHM


# registered once with PyJWT's global JWS object (a re-import finds it there)
with contextlib.suppress(ValueError):
    jwt.register_algorithm(SM2_ALGORITHM, Sm2Jws())
