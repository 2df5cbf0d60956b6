from typing import Any, Literal

from pydantic import BaseModel, Field


class TokenRead(BaseModel):
    """RFC 6749 §5.1 access token response."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the RFC 6749 token type
    expires_in: int = Field(examples=[900])
    scope: str = Field(examples=["enrollment:read staffing:read"])


class JwkRead(BaseModel):
    """An Ed25519 key (`OKP`, `EdDSA`), or under the 国密 profile an SM2 key (`EC`, curve
    `SM2`, `y` too; tokens `SM3withSM2`)."""

    kty: str = Field(examples=["OKP"])
    crv: str = Field(examples=["Ed25519"])
    x: str
    y: str | None = Field(None, description="SM2 keys only: the y coordinate (base64url)")
    use: str = "sig"
    alg: str = Field("EdDSA", examples=["EdDSA", "SM3withSM2"])
    kid: str


class JwksRead(BaseModel):
    keys: list[JwkRead]


TOKEN_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["grant_type"],
                "properties": {
                    "grant_type": {"type": "string", "enum": ["client_credentials"]},
                    "client_id": {"type": "string", "description": "or HTTP Basic"},
                    "client_secret": {
                        "type": "string",
                        "format": "password",
                        "description": "or HTTP Basic",
                    },
                    "scope": {
                        "type": "string",
                        "description": "space-separated subset of the "
                        "client's scopes; all when omitted",
                    },
                },
            }
        }
    },
}
